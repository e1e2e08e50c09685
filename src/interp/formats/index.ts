/** Vector files: Rudder JSON and safetensors (exact, with the recipe), and llama.cpp / repeng GGUF. */
export {
  type GgufExportOptions,
  type GgufImportOptions,
  vectorFromGguf,
  vectorToGguf,
} from './control-vector';
export { type GgufFile, type GgufTensor, type GgufValue, readGguf, writeGguf } from './gguf';
export { JSON_FORMAT, vectorFromJson, vectorToJson } from './json';
export { readVectorFile, sniffFormat, type VectorFileFormat } from './read';
export { SAFETENSORS_FORMAT, vectorFromSafetensors, vectorToSafetensors } from './safetensors';
