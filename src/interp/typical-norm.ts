/**
 * The units of the steering strength (METHODS.md §19): the typical norm of the activations at a
 * hook point, per layer, measured on the model's neutral texts; and the perplexity the model
 * itself gives a continuation, the test of whether steered text is still fluent.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, hookName, type Model } from '../engine';
import { encodeInput } from './build/prompts';
import type { VectorHook } from './recipe';
import type { SteeringVector } from './vector';

/**
 * Mean per-token norm ‖h‖ at `hook` in every layer over `texts` (as the page encodes a prompt).
 * Position 0 is left out: the first token's activation (BOS, the attention sink) is often many
 * times larger than the rest and says nothing about the norm a steered token meets.
 */
export async function typicalNorms(
  model: Model,
  texts: readonly string[],
  hook: VectorHook,
): Promise<number[]> {
  const names = Array.from({ length: model.spec.nLayers }, (_, l) => hookName(hook, l));
  const sums = new Float64Array(names.length);
  let count = 0;
  for (const text of texts) {
    const ids = encodeInput(model, text).slice(0, model.spec.nCtx);
    if (ids.length < 2) continue;
    const r = model.run([ids], { cache: names, logits: 'none' });
    let norms: tf.Tensor;
    try {
      // layers × positions after the first, summed over positions.
      norms = tf.tidy(() =>
        tf.stack(
          names.map((n) =>
            tf.sum(tf.norm(tf.slice(tf.squeeze(r.cache.get(n)!, [0]), [1, 0], [-1, -1]), 'euclidean', -1)),
          ),
        ),
      );
    } finally {
      disposeResult(r);
    }
    const data = await norms.data();
    norms.dispose();
    data.forEach((x, l) => {
      sums[l]! += x;
    });
    count += ids.length - 1;
  }
  if (count === 0) throw new Error('typicalNorms: no text had two tokens to measure.');
  return Array.from(sums, (s) => s / count);
}

/**
 * Mean next-token cross-entropy (nats) the model, unsteered, gives each continuation after its
 * prompt; exp of it is the continuation's perplexity. A continuation with no tokens scores NaN.
 */
export async function continuationLoss(
  model: Model,
  items: readonly { readonly prompt: readonly number[]; readonly tokens: readonly number[] }[],
): Promise<number[]> {
  const out: number[] = [];
  for (const { prompt, tokens } of items) {
    const ids = [...prompt, ...tokens].slice(0, model.spec.nCtx);
    const n = ids.length - prompt.length;
    if (n < 1) {
      out.push(Number.NaN);
      continue;
    }
    const r = model.run([ids.slice(0, -1)]);
    let sum: tf.Tensor;
    try {
      sum = tf.tidy(() => {
        const logp = tf.logSoftmax(tf.squeeze(r.logits!, [0]));
        const at = ids
          .slice(prompt.length)
          .map((id, i) => (prompt.length - 1 + i) * model.spec.vocabSize + id);
        return tf.sum(tf.gather(tf.reshape(logp, [-1]), tf.tensor1d(at, 'int32')));
      });
    } finally {
      disposeResult(r);
    }
    const total = (await sum.data())[0]!;
    sum.dispose();
    out.push(-total / n);
  }
  return out;
}

/**
 * Neutral texts to measure typical norms on when a model ships no neutral openings of its own:
 * plain narrative sentences with no sentiment, topic push or request in them.
 */
export const NEUTRAL_TEXTS: readonly string[] = [
  'The day began quietly, and then something happened in the town.',
  'She walked to the station and waited for the morning train.',
  'The report lists the results of the survey in three tables.',
  'He opened the door, put his bag on the chair and sat down.',
  'The river runs through the valley and reaches the sea in the south.',
  'They met at the library on Tuesday to talk about the plan.',
  'The recipe needs two cups of flour, one egg and some milk.',
  'In the afternoon the shop was busy, and the streets were full of people.',
];

/** Texts a typical norm is measured on: enough for a stable mean, few enough to be quick on a large model. */
export const TYPICAL_TEXTS = 16;

/**
 * The vector in norm units: each layer's rows scaled so that the largest row's norm is that
 * layer's typical norm (a direction's one row becomes typicalNorm × unit(v)), so a coefficient
 * s adds s times the typical activation norm. A zero layer stays zero.
 */
export function inNormUnits(v: SteeringVector, norms: readonly number[]): SteeringVector {
  const layers: Record<number, Float32Array> = {};
  for (const [key, values] of Object.entries(v.layers)) {
    const layer = Number(key);
    let largest = 0;
    for (let r = 0; r < v.rows; r++) {
      let sq = 0;
      for (let i = r * v.width; i < (r + 1) * v.width; i++) sq += values[i]! ** 2;
      largest = Math.max(largest, Math.sqrt(sq));
    }
    const scale = largest > 0 ? (norms[layer] ?? 0) / largest : 0;
    layers[layer] = values.map((x) => x * scale);
  }
  return { ...v, layers };
}
