/**
 * Weight orthogonalisation (Arditi et al. §5, weight form): W ← W − r̂r̂ᵀW for every matrix that
 * writes to the residual stream, so that no layer can write along r̂. Equivalent to the ablation
 * hooks at every resid_pre/attn_out/mlp_out: resid_pre[0] is the token plus position embedding,
 * and every later residual is that plus attention and MLP outputs (biases included), so removing
 * r̂ from each of those writes leaves the same residual stream as removing it at each hook.
 *
 * A tied unembedding must not change (the hooks never touch the readout), so a tied model comes
 * back untied, its unembedding the original embedding. Returns new weights or a new Model; the
 * loaded model and its host weights are never modified.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type HostTensor, Model, type ModelSpec, RudderError } from '../engine';
import { dot, unit } from './linalg';

export interface OrthogonalizedWeights {
  readonly spec: ModelSpec;
  readonly weights: Map<string, HostTensor>;
}

/** Canonical host weights with `direction` projected out of every residual write. */
export function orthogonalizeWeights(
  spec: ModelSpec,
  host: ReadonlyMap<string, HostTensor>,
  direction: ArrayLike<number>,
): OrthogonalizedWeights {
  if (direction.length !== spec.dModel)
    throw new RudderError(
      'bad-direction',
      `The direction is ${direction.length} wide; the model's d_model is ${spec.dModel}.`,
    );
  const r = unit(direction);
  const get = (name: string) => {
    const t = host.get(name);
    if (!t) throw new RudderError('missing-weight', `Weight ${name} is missing.`);
    return t;
  };
  const weights = new Map(host);
  const writes = ['embed.W_E'];
  if (spec.pos === 'learned') writes.push('pos_embed.W_pos');
  for (let l = 0; l < spec.nLayers; l++) {
    writes.push(`blocks.${l}.attn.W_O`, `blocks.${l}.mlp.W_out`);
    if (spec.outBias) writes.push(`blocks.${l}.attn.b_O`, `blocks.${l}.mlp.b_out`);
  }
  for (const name of writes) weights.set(name, projectRows(get(name), r));
  let outSpec = spec;
  if (spec.tiedEmbeddings) {
    weights.set('unembed.W_U', get('embed.W_E'));
    outSpec = { ...spec, tiedEmbeddings: false };
  }
  return { spec: outSpec, weights };
}

/** Every row (each a residual-space vector, the last axis d_model) minus its component along r. */
function projectRows(t: HostTensor, r: Float32Array): HostTensor {
  const d = r.length;
  const data = new Float32Array(t.data.length);
  for (let off = 0; off < data.length; off += d) {
    const row = t.data.subarray(off, off + d);
    const p = dot(row, r);
    for (let j = 0; j < d; j++) data[off + j] = row[j]! - p * r[j]!;
  }
  return { shape: t.shape, data };
}

/** A new Model with `direction` orthogonalised out of its weights; the caller disposes it. */
export function orthogonalizeModel(
  model: Model,
  direction: ArrayLike<number>,
  id = `${model.id}+orthogonalized`,
): Model {
  const { spec, weights } = orthogonalizeWeights(model.spec, readHostWeights(model), direction);
  return Model.fromHost(id, spec, weights, model.tokenizer);
}

/**
 * The canonical host weights of a loaded model, read back from the device. Undoes the device
 * layout of weights-device.ts: fused q|k|v and gate|up columns are split again, and the
 * unembedding, held transposed [dModel, vocab], is transposed back.
 */
export function readHostWeights(model: Model): Map<string, HostTensor> {
  const { spec, weights: w } = model;
  const read = (t: tf.Tensor): HostTensor => ({ shape: t.shape, data: Float32Array.from(t.dataSync()) });
  const transposed = (t: tf.Tensor): HostTensor => {
    const out = tf.tidy(() => tf.transpose(t));
    try {
      return read(out);
    } finally {
      out.dispose();
    }
  };
  const out = new Map<string, HostTensor>();
  const U = transposed(w.get('unembed.W_U'));
  out.set('embed.W_E', spec.tiedEmbeddings ? U : read(w.get('embed.W_E')));
  if (!spec.tiedEmbeddings) out.set('unembed.W_U', U);
  const { nHeads: H, nKvHeads: K, dHead: D } = spec;
  for (let l = 0; l < spec.nLayers; l++) {
    const a = `blocks.${l}.attn`;
    const qkv = splitColumns(read(w.get(`${a}.W_QKV`)), [H * D, K * D, K * D]);
    ['W_Q', 'W_K', 'W_V'].forEach((n, i) => out.set(`${a}.${n}`, qkv[i]!));
    const bias = w.maybe(`${a}.b_QKV`);
    if (bias)
      splitColumns(read(bias), [H * D, K * D, K * D]).forEach((t, i) =>
        out.set(`${a}.${['b_Q', 'b_K', 'b_V'][i]}`, t),
      );
    const m = `blocks.${l}.mlp`;
    if (spec.mlp === 'swiglu') {
      const [gate, up] = splitColumns(read(w.get(`${m}.W_GU`)), [spec.dMlp, spec.dMlp]);
      out.set(`${m}.W_gate`, gate!);
      out.set(`${m}.W_in`, up!);
    }
  }
  const norms = spec.norm === 'layer' ? ['w', 'b'] : ['w'];
  const plain = [
    'ln_final',
    ...[...Array(spec.nLayers).keys()].flatMap((l) => [`blocks.${l}.ln1`, `blocks.${l}.ln2`]),
  ].flatMap((prefix) => norms.map((n) => `${prefix}.${n}`));
  if (spec.pos === 'learned') plain.push('pos_embed.W_pos');
  for (let l = 0; l < spec.nLayers; l++) {
    plain.push(`blocks.${l}.attn.W_O`, `blocks.${l}.mlp.W_out`);
    if (spec.mlp !== 'swiglu') plain.push(`blocks.${l}.mlp.W_in`);
    if (spec.outBias) plain.push(`blocks.${l}.attn.b_O`, `blocks.${l}.mlp.b_in`, `blocks.${l}.mlp.b_out`);
  }
  for (const name of plain) out.set(name, read(w.get(name)));
  return out;
}

/** [rows, Σ widths] (or a vector) → one tensor per column block. */
function splitColumns(t: HostTensor, widths: readonly number[]): HostTensor[] {
  const matrix = t.shape.length === 2;
  const rows = matrix ? t.shape[0]! : 1;
  const total = widths.reduce((x, y) => x + y, 0);
  let start = 0;
  return widths.map((width) => {
    const data = new Float32Array(rows * width);
    for (let r = 0; r < rows; r++)
      data.set(t.data.subarray(r * total + start, r * total + start + width), r * width);
    start += width;
    return { shape: matrix ? [rows, width] : [width], data };
  });
}
