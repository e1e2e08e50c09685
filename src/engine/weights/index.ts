/**
 * Weights and where they come from: safetensors files, sharded checkpoints, and model sources
 * (URL / Hugging Face Hub / dropped Files). Browser-safe; the filesystem source is in
 * `./node-source` and must be imported from Node code only.
 */
export { type Checkpoint, INDEX_FILE, readCheckpoint, SINGLE_FILE } from './checkpoint';
export {
  DTYPE_BITS,
  type Dtype,
  decodeBF16,
  decodeF16,
  encodeF16,
  f16BitsToF32,
  READABLE_DTYPES,
  roundToBfloat16,
} from './dtype';
export {
  MAX_HEADER_BYTES,
  parseSafetensors,
  type SafetensorsFile,
  type TensorInfo,
  type TensorReader,
} from './safetensors';
export { writeSafetensors } from './safetensors-write';
export { filesSource, type ModelSource, type OnProgress, type Progress } from './source';
export {
  DEFAULT_CACHE_NAME,
  type HubSourceOptions,
  hubSource,
  type UrlSourceOptions,
  urlSource,
} from './url-source';
