/** Reading a vector file of any format Rudder knows, told apart by its first bytes. */
import { WeightsFormatError } from '../../engine';
import type { SteeringVector } from '../vector';
import { type GgufImportOptions, vectorFromGguf } from './control-vector';
import { vectorFromJson } from './json';
import { vectorFromSafetensors } from './safetensors';

export type VectorFileFormat = 'json' | 'safetensors' | 'gguf';

/** Which format a file holds, by its first bytes (names lie more often than magic numbers). */
export function sniffFormat(bytes: Uint8Array, fileName: string): VectorFileFormat {
  const head = new TextDecoder().decode(bytes.subarray(0, 4));
  if (head === 'GGUF') return 'gguf';
  const first = bytes.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef);
  if (first >= 0 && bytes[first] === 0x7b) return 'json';
  // safetensors: an 8-byte little-endian header length, then the JSON header.
  if (bytes.length > 8 && bytes[8] === 0x7b) return 'safetensors';
  throw new WeightsFormatError(
    fileName,
    'is not a vector file Rudder reads (Rudder JSON, safetensors, or a llama.cpp / repeng control-vector GGUF)',
  );
}

/** A Rudder JSON, Rudder safetensors or control-vector GGUF file as a vector. */
export function readVectorFile(
  bytes: Uint8Array,
  fileName: string,
  opts: Pick<GgufImportOptions, 'model'> = {},
): SteeringVector {
  switch (sniffFormat(bytes, fileName)) {
    case 'gguf':
      return vectorFromGguf(bytes, { fileName, ...opts });
    case 'json':
      return vectorFromJson(new TextDecoder().decode(bytes), fileName);
    case 'safetensors':
      return vectorFromSafetensors(bytes, fileName);
  }
}
