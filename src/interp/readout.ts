/**
 * The model's read-out, reproduced outside the forward pass for the lenses and attribution:
 * the final norm, the unembedding, and directions in logit space pulled back to the residual.
 * All functions create tensors; call them inside `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Model, RudderError } from '../engine';

/** ln_final(x) for x [..., d_model], exactly as the forward pass computes it. */
export function finalNorm(model: Model, x: tf.Tensor): tf.Tensor {
  const { spec, weights: w } = model;
  const centred = spec.norm === 'layer' ? tf.sub(x, tf.mean(x, -1, true)) : x;
  const scaled = tf.mul(tf.div(centred, finalNormScale(model, x)), w.get('ln_final.w'));
  return spec.norm === 'layer' ? tf.add(scaled, w.get('ln_final.b')) : scaled;
}

/**
 * The scale the final norm divides x [..., d_model] by, [..., 1]: √(var + ε) for LayerNorm,
 * √(mean x² + ε) for RMSNorm. Holding it fixed makes the norm linear (METHODS.md §9).
 */
export function finalNormScale(model: Model, x: tf.Tensor): tf.Tensor {
  const { spec } = model;
  if (spec.norm === 'rms') return tf.sqrt(tf.add(tf.mean(tf.square(x), -1, true), spec.normEps));
  return tf.sqrt(tf.add(tf.moments(x, -1, true).variance, spec.normEps));
}

/** x [n, d_model] → logits [n, vocab], soft-capped where the model caps its logits (Gemma 2). */
export function unembed(model: Model, x: tf.Tensor2D): tf.Tensor2D {
  const logits: tf.Tensor2D = tf.matMul(x, model.weights.get('unembed.W_U') as tf.Tensor2D);
  const cap = model.spec.finalSoftcap;
  return cap ? (tf.mul(tf.tanh(tf.div(logits, cap)), cap) as tf.Tensor2D) : logits;
}

/** Two token sets whose mean logits are compared: logit(target) − logit(baseline). */
export interface LogitDirection {
  readonly target: readonly number[];
  readonly baseline: readonly number[];
}

/** d = mean W_U[:, target] − mean W_U[:, baseline], [d_model]: logit diff = ln_final(x) · d. */
export function unembedDirection(model: Model, dir: LogitDirection): tf.Tensor1D {
  assertTokens(model, [...dir.target, ...dir.baseline]);
  if (dir.target.length === 0) throw new RudderError('empty-input', 'A logit direction needs target tokens.');
  const W_U = model.weights.get('unembed.W_U');
  const meanCol = (ids: readonly number[]) =>
    tf.mean(tf.gather(W_U, tf.tensor1d(Int32Array.from(ids), 'int32'), 1), 1);
  const t = meanCol(dir.target);
  return (dir.baseline.length ? tf.sub(t, meanCol(dir.baseline)) : t) as tf.Tensor1D;
}

/**
 * The residual-space read-out of a logit direction d with the final norm linearised: u such that
 * logit diff = x·u / σ(x) + c, where c (the norm's bias · d) is `readoutConstant`. For LayerNorm
 * u = centred(w ∘ d): centring x before the dot product equals centring u after it.
 */
export function readoutVector(model: Model, d: tf.Tensor1D): tf.Tensor1D {
  const u = tf.mul(model.weights.get('ln_final.w'), d) as tf.Tensor1D;
  return model.spec.norm === 'rms' ? u : tf.sub(u, tf.mean(u));
}

/** The norm's bias projected on d (0 for RMSNorm), a scalar tensor. */
export function readoutConstant(model: Model, d: tf.Tensor1D): tf.Scalar {
  const b = model.weights.maybe('ln_final.b');
  return b ? tf.sum(tf.mul(b, d)) : tf.scalar(0);
}

export function assertTokens(model: Model, ids: readonly number[]): void {
  const V = model.spec.vocabSize;
  for (const id of ids)
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new RudderError('bad-token', `Token id ${id} is outside the vocabulary (0..${V - 1}).`);
}
