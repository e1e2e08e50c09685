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
    if (spec.outBias) writes.push(`blocks.${l}.attn.b_O`);
    if (spec.mlpBias) writes.push(`blocks.${l}.mlp.b_out`);
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
  const { spec, weights } = orthogonalizeWeights(model.spec, model.hostWeights(), direction);
  return Model.fromHost(id, spec, weights, model.tokenizer);
}
