/**
 * The steering vector as the builder shows and moves it: its lens (the tokens it promotes and
 * suppresses), and files in Rudder's JSON, safetensors and llama.cpp's control-vector GGUF, out
 * and in. An imported file becomes an inline vector (float16, DESIGN.md) once its shape is checked
 * against the loaded model, so nothing reaches the Experiment that the model cannot apply.
 */
import { type Model, RudderError, WeightsFormatError } from '../engine';
import {
  float16Problem,
  float16ToBase64,
  INLINE_LIMITS,
  type InlineVector,
  InlineVectorSchema,
  SpecValidationError,
} from '../experiment';
import {
  readVectorFile,
  type SteeringVector,
  sniffFormat,
  vectorLayers,
  vectorLens,
  vectorToGguf,
  vectorToJson,
  vectorToSafetensors,
} from '../interp';
import type { VectorFile, VectorFileFormat, VectorLensInfo } from './api';
import { checkShape } from './inline-vectors';

/** Larger files are refused before parsing (a vector of the largest recommended model is ~1 MB). */
export const MAX_VECTOR_FILE_BYTES = 16 * 1024 * 1024;

/**
 * The direction a vector pushes in: its one row, or the sum of its rows (ActAdd's per-position
 * rows, whose first, at BOS, is zero).
 */
function rowSum(data: Float32Array, width: number): Float32Array {
  const out = new Float32Array(width);
  for (let i = 0; i < data.length; i++) out[i % width] = out[i % width]! + data[i]!;
  return out;
}

export async function lensOf(model: Model, v: SteeringVector, k: number): Promise<VectorLensInfo> {
  const layer = vectorLayers(v)[0]!;
  if (v.width !== model.spec.dModel)
    throw new RudderError(
      'bad-vector',
      `The lens reads directions in the residual stream (${model.spec.dModel} wide); this ${v.hook} vector is ${v.width} wide.`,
    );
  const r = await vectorLens(model, rowSum(v.layers[layer]!, v.width), {
    k: Math.max(1, Math.min(50, k)),
  });
  const tokens = (ids: Int32Array, logits: Float32Array) =>
    Array.from(ids, (id, i) => ({
      id,
      text: model.tokenizer ? model.tokenizer.tokenString(id) : `#${id}`,
      logit: logits[i]!,
    }));
  return {
    layer,
    hook: v.hook,
    promoted: tokens(r.promoted.ids, r.promoted.logits),
    suppressed: tokens(r.suppressed.ids, r.suppressed.logits),
  };
}

/** llama.cpp's architecture names (its Mistral models load as "llama"). */
const GGUF_ARCH: Record<string, string> = { gpt2: 'gpt2', llama: 'llama', qwen2: 'qwen2', mistral: 'llama' };

export function exportVectorFile(model: Model, v: SteeringVector, format: VectorFileFormat): VectorFile {
  const layers = vectorLayers(v).join('-');
  const base = `rudder-${v.hook}-L${layers}`;
  if (format === 'json')
    return {
      bytes: new TextEncoder().encode(vectorToJson(v)),
      fileName: `${base}.json`,
      mime: 'application/json',
    };
  if (format === 'safetensors')
    return {
      bytes: vectorToSafetensors(v),
      fileName: `${base}.safetensors`,
      mime: 'application/octet-stream',
    };
  const modelHint = GGUF_ARCH[model.spec.modelType] ?? model.spec.modelType;
  return {
    bytes: vectorToGguf(v, { modelHint }),
    fileName: `${base}.gguf`,
    mime: 'application/octet-stream',
  };
}

/** Parses a vector file and checks it against the model; the result is ready for the Experiment. */
export function importVectorFile(model: Model, bytes: Uint8Array, fileName: string): InlineVector {
  const name = fileName.slice(0, 200) || 'vector';
  if (bytes.length > MAX_VECTOR_FILE_BYTES)
    throw new WeightsFormatError(
      name,
      `is ${(bytes.length / 2 ** 20).toFixed(1)} MB; vector files over ${MAX_VECTOR_FILE_BYTES / 2 ** 20} MB are refused`,
    );
  const format = sniffFormat(bytes, name);
  const v = readVectorFile(bytes, name);
  if (v.rows !== 1)
    throw new RudderError(
      'unsupported-vector',
      `${name} holds a per-position (ActAdd) vector; the builder steers with one direction per layer.`,
    );
  checkShape(model, v, name);
  const list = vectorLayers(v);
  if (list.length > INLINE_LIMITS.layers || list.length * v.width > INLINE_LIMITS.values)
    throw new RudderError(
      'vector-too-large',
      `${name} holds ${list.length} layers × ${v.width} values; an imported vector may hold at most ${INLINE_LIMITS.values} values.`,
    );
  const layers: Record<string, string> = {};
  for (const l of list) {
    const data = v.layers[l]!;
    if (data.some((x) => !Number.isFinite(x) || Math.abs(x) > 65504))
      throw new WeightsFormatError(
        name,
        `layer ${l} holds values that are not finite or beyond float16's range`,
      );
    layers[String(l)] = float16ToBase64(data);
    // Non-zero in the file (checkedVector saw to that) but zero once stored as float16.
    if (float16Problem(layers[String(l)]!))
      throw new WeightsFormatError(
        name,
        `layer ${l}'s values are all below float16's smallest (about 6e-8), so the imported vector would be all zeros and steer nothing; rescale it`,
      );
  }
  const inline = {
    from: 'inline' as const,
    hook: v.hook,
    width: v.width,
    layers,
    name,
    format,
    ...(v.modelId ? { model: v.modelId.slice(0, 500) } : {}),
  };
  const r = InlineVectorSchema.safeParse(inline);
  if (!r.success) throw new SpecValidationError(`The vector in ${name}`, r.error.issues);
  return r.data;
}
