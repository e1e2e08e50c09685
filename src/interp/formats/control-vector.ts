/**
 * llama.cpp / repeng control vectors as GGUF: `general.architecture = "controlvector"`,
 * `controlvector.model_hint` (the model's architecture name), `controlvector.layer_count`, and
 * one F32 tensor `direction.N` of n_embd values per steered layer.
 *
 * Layer numbering, checked against the sources: llama.cpp's loader
 * (common.cpp `common_control_vector_load_one`) stores `direction.N` at slot N−1 of its buffer and
 * rejects N = 0; `llama_adapter_cvec::apply` copies slot N−1 into `tensors[N]`; each model graph
 * ends block `il` with `cur = build_cvec(cur, il)`, adding `tensors[il]` to that block's output.
 * So `direction.N` is added to the output of block N (0-based) = Rudder's resid_post[N] =
 * resid_pre[N+1], at every position, scaled by `--control-vector-scaled FILE s`. repeng names
 * its directions by the same 0-based block index (`hidden_states[layer + 1]`, read and steered
 * at `model.layers[layer]`'s output) and skips block 0 by default, so the two agree. (llama.cpp's
 * own cvector-generator reads block il's output and writes it as direction.il+1: a quirk of that
 * tool, not of the format.)
 *
 * Export therefore takes resid_post vectors as they are (layer 0 cannot be expressed: llama.cpp
 * has no slot for it) and resid_pre[L] vectors as direction.(L−1); other hook points have no
 * llama.cpp equivalent. Rudder also writes `rudder.*` keys (model id, hook, recipe), which
 * llama.cpp ignores, so that a Rudder → GGUF → Rudder round trip is exact.
 */
import { RudderError, WeightsFormatError } from '../../engine';
import type { SteeringVector } from '../vector';
import { IncompatibleVectorError, type ModelRef, vectorLayers } from '../vector';
import { checkedVector, isVectorHook, parseRecipe } from './common';
import { type GgufValue, readGguf, writeGguf } from './gguf';

const ARCH = 'controlvector';

export interface GgufExportOptions {
  /** `controlvector.model_hint`: the model's architecture as llama.cpp names it (e.g. "llama", "gpt2"). */
  readonly modelHint: string;
}

export function vectorToGguf(v: SteeringVector, opts: GgufExportOptions): Uint8Array {
  if (v.rows !== 1)
    throw new RudderError(
      'unexportable',
      'A per-position (ActAdd) vector has no llama.cpp control-vector form.',
    );
  const shift = v.hook === 'resid_post' ? 0 : v.hook === 'resid_pre' ? -1 : undefined;
  if (shift === undefined)
    throw new RudderError(
      'unexportable',
      `llama.cpp control vectors add to block outputs; a ${v.hook} vector has no equivalent. Build it at resid_post.`,
    );
  const tensors = vectorLayers(v).map((l) => {
    const n = l + shift;
    if (n < 1)
      throw new RudderError(
        'unexportable',
        `llama.cpp cannot steer the output of block 0 (direction.0 is invalid there): drop ${v.hook} layer ${l}.`,
      );
    return { name: `direction.${n}`, dims: [v.width], data: v.layers[l]! };
  });
  const meta = new Map<string, GgufValue>([
    ['general.architecture', { type: 'string', value: ARCH }],
    [`${ARCH}.model_hint`, { type: 'string', value: opts.modelHint }],
    [`${ARCH}.layer_count`, { type: 'int32', value: tensors.length }],
    ['rudder.model_id', { type: 'string', value: v.modelId }],
    ['rudder.hook', { type: 'string', value: v.hook }],
  ]);
  if (v.recipe) meta.set('rudder.recipe', { type: 'string', value: JSON.stringify(v.recipe) });
  return writeGguf(meta, tensors);
}

export interface GgufImportOptions {
  /**
   * The model to bind a foreign (repeng / llama.cpp) vector to; its width and depth are checked.
   * A file Rudder wrote names its model itself, and must name this one when both are given.
   */
  readonly model?: ModelRef;
  readonly fileName?: string;
}

export function vectorFromGguf(bytes: Uint8Array, opts: GgufImportOptions = {}): SteeringVector {
  const fileName = opts.fileName ?? 'vector.gguf';
  const fail = (problem: string): never => {
    throw new WeightsFormatError(fileName, problem);
  };
  const file = readGguf(bytes, fileName);
  const str = (key: string) => {
    const v = file.metadata.get(key);
    return v?.type === 'string' ? v.value : undefined;
  };
  const arch = str('general.architecture');
  if (arch !== undefined && arch !== ARCH) fail(`is a "${arch}" GGUF, not a control vector`);
  const modelHint = str(`${ARCH}.model_hint`);
  const ownId = str('rudder.model_id');
  const named = str('rudder.hook') ?? 'resid_post';
  if (!isVectorHook(named) || (named !== 'resid_post' && named !== 'resid_pre'))
    fail(`names hook "${named}"`);
  const hook = named as 'resid_post' | 'resid_pre';
  const shift = hook === 'resid_pre' ? 1 : 0;
  const layers: Record<number, Float32Array> = {};
  let width = 0;
  for (const t of file.tensors) {
    const m = /^direction\.(\d+)$/.exec(t.name);
    if (!m) continue;
    if (t.dims.length !== 1) fail(`tensor ${t.name} is not one-dimensional`);
    if (width && t.dims[0] !== width) fail(`tensor ${t.name} has ${t.dims[0]} values, the others ${width}`);
    width = t.dims[0]!;
    const layer = Number(m[1]) + shift;
    // repeng and llama.cpp add several directions for one layer together.
    const prev = layers[layer];
    layers[layer] = prev ? prev.map((x, i) => x + t.data[i]!) : t.data;
  }
  if (!width) fail('holds no direction.N tensors');
  const model = opts.model;
  if (model && ownId !== undefined && ownId !== model.id)
    throw new IncompatibleVectorError(`${fileName} was made for model "${ownId}", not "${model.id}".`);
  if (model) {
    if (width !== model.spec.dModel)
      throw new IncompatibleVectorError(
        `${fileName} is ${width} wide; this model's d_model is ${model.spec.dModel}.`,
      );
    const beyond = Object.keys(layers)
      .map(Number)
      .filter((l) => l >= model.spec.nLayers);
    if (beyond.length)
      throw new IncompatibleVectorError(
        `${fileName} steers layer ${beyond.join(', ')}; this model has ${model.spec.nLayers}.`,
      );
  }
  const modelId = ownId ?? model?.id ?? `gguf:${modelHint ?? 'unknown'}`;
  const own = str('rudder.recipe');
  let recipe: SteeringVector['recipe'];
  try {
    recipe = own
      ? parseRecipe(JSON.parse(own), fileName)
      : { from: 'import', format: 'gguf', ...(modelHint ? { modelHint } : {}) };
  } catch (e) {
    if (e instanceof WeightsFormatError) throw e;
    fail('has a rudder.recipe that is not JSON');
  }
  return checkedVector({ modelId, hook, width, rows: 1, layers, ...(recipe ? { recipe } : {}) }, fileName);
}
