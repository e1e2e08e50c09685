/**
 * What an SAE is measured and used by (METHODS.md §17): the activations it is trained on, its
 * explained variance, L0 and dead features on held data, each feature's top-activating texts, and
 * a feature as a steering vector (h += c·W_dec[:, j], the §3 addition through compile's `add`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { hookName, type Model, RudderError } from '../../engine';
import { collectActivations } from '../activations';
import { readAll } from '../batching';
import type { OrganismData } from '../eval/organism-data';
import type { SteeringVector } from '../vector';
import { decode, decoderDirection, encode, type SparseAutoencoder } from './model';
import { meanNorm, type SaeData, type SaeTrainOptions, type SaeTrainResult, trainSae } from './train';

/** The organism's shipped texts an SAE trains on: validation documents, labelled stories, story openings. */
export function saeCorpus(data: OrganismData): string[] {
  return [...data.validation, ...data.sentimentStories.map((s) => s.text), ...data.neutralOpenings];
}

/** The texts as token ids, each cut to the model's context (what the SAE reads; empty ones left out). */
export function encodeSaeText(model: Model, text: string): number[] {
  if (!model.tokenizer)
    throw new RudderError('no-tokenizer', `${model.id} has no tokenizer.json; an SAE reads text.`);
  return model.tokenizer.encode(text, { addSpecialTokens: false }).slice(0, model.spec.nCtx);
}

function encodeTexts(model: Model, texts: readonly string[]): number[][] {
  return texts.map((t) => encodeSaeText(model, t)).filter((ids) => ids.length > 0);
}

/** resid_post[layer] at every token of every text: the rows an SAE trains on. */
export async function residualRows(model: Model, texts: readonly string[], layer: number): Promise<SaeData> {
  const prompts = encodeTexts(model, texts);
  const hook = hookName('resid_post', layer);
  const acts = (await collectActivations(model, prompts, [hook], { kind: 'all' }, { batchSize: 8 })).get(
    hook,
  )!;
  const rows = new Float32Array(acts.reduce((s, a) => s + a.length, 0));
  let o = 0;
  for (const a of acts) {
    rows.set(a, o);
    o += a.length;
  }
  return { modelId: model.id, hook: 'resid_post', layer, dIn: model.spec.dModel, rows };
}

export interface SaeFigures {
  /** 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖². */
  readonly explainedVariance: number;
  /** Mean number of active features per token. */
  readonly l0: number;
  /** Share of features that never fire on these rows. */
  readonly deadFraction: number;
  readonly rows: number;
}

export async function evaluateSae(sae: SparseAutoencoder, rows: Float32Array): Promise<SaeFigures> {
  const d = sae.dIn;
  const n = rows.length / d;
  const chunk = 4096;
  let err = 0;
  let active = 0;
  const fired = new Uint8Array(sae.dSae);
  const mean = new Float64Array(d);
  for (let i = 0; i < rows.length; i++) mean[i % d]! += rows[i]! / n;
  let total = 0;
  for (let i = 0; i < rows.length; i++) total += (rows[i]! - mean[i % d]!) ** 2;
  for (let r0 = 0; r0 < n; r0 += chunk) {
    const r = Math.min(chunk, n - r0);
    const out = tf.tidy(() => {
      const x = tf.tensor2d(rows.subarray(r0 * d, (r0 + r) * d), [r, d]);
      const f = encode(sae, x);
      const on = tf.greater(f, 0);
      return [
        tf.sum(tf.square(tf.sub(x, decode(sae, f)))),
        tf.sum(tf.cast(on, 'float32')),
        tf.max(tf.cast(on, 'float32'), 0),
      ];
    });
    const [e, a, any] = await readAll(out);
    err += e![0]!;
    active += a![0]!;
    any!.forEach((v, j) => {
      if (v > 0) fired[j] = 1;
    });
  }
  return {
    explainedVariance: 1 - err / total,
    l0: active / n,
    deadFraction: 1 - fired.reduce((s, v) => s + v, 0) / sae.dSae,
    rows: n,
  };
}

export interface ResidualSaeResult extends SaeTrainResult {
  /** Measured on the held-out last tenth of the tokens. */
  readonly figures: SaeFigures;
  readonly trainTokens: number;
  /** The mean norm of the activations it was trained on. */
  readonly residNorm: number;
}

/**
 * An SAE on resid_post[layer] at every token of `texts`: the first nine tenths of the tokens train
 * it, the last tenth measures it (METHODS.md §17). `onRows` is told once the activations are read.
 */
export async function trainResidualSae(
  model: Model,
  texts: readonly string[],
  layer: number,
  opts: SaeTrainOptions & { readonly onRows?: (tokens: number) => void } = {},
): Promise<ResidualSaeResult> {
  if (!Number.isInteger(layer) || layer < 0 || layer >= model.spec.nLayers)
    throw new RudderError(
      'bad-layer',
      `Layer ${layer} does not exist (the model has 0..${model.spec.nLayers - 1}).`,
    );
  const data = await residualRows(model, texts, layer);
  const n = data.rows.length / data.dIn;
  const cut = Math.floor(n * 0.9) * data.dIn;
  opts.onRows?.(n);
  const result = await trainSae({ ...data, rows: data.rows.subarray(0, cut) }, opts);
  const figures = await evaluateSae(result.sae, data.rows.subarray(cut));
  return { ...result, figures, trainTokens: cut / data.dIn, residNorm: meanNorm(data.rows, data.dIn) };
}

export interface FeatureExample {
  readonly text: number;
  /** The token where the feature is strongest in that text, and its activation. */
  readonly position: number;
  readonly activation: number;
}

/**
 * For each feature asked for, the `n` texts where it is strongest (by its maximum over tokens;
 * `text` indexes `texts`). `onProgress` is told after each text and may throw to stop.
 */
export async function featureTopTexts(
  model: Model,
  sae: SparseAutoencoder,
  texts: readonly string[],
  features: readonly number[],
  n = 5,
  onProgress?: (done: number, total: number) => void,
): Promise<FeatureExample[][]> {
  const encoded = texts.map((t, i) => ({ ids: encodeSaeText(model, t), i })).filter((e) => e.ids.length);
  const hook = hookName(sae.hook, sae.layer);
  const acts = (
    await collectActivations(
      model,
      encoded.map((e) => e.ids),
      [hook],
      { kind: 'all' },
      { batchSize: 8 },
    )
  ).get(hook)!;
  const best: FeatureExample[][] = features.map(() => []);
  const cols = tf.tensor1d(Int32Array.from(features), 'int32');
  try {
    for (let t = 0; t < acts.length; t++) {
      onProgress?.(t, acts.length);
      const T = acts[t]!.length / sae.dIn;
      const f = tf.tidy(() => tf.gather(encode(sae, tf.tensor2d(acts[t]!, [T, sae.dIn])), cols, 1));
      const [values] = await readAll([f]);
      features.forEach((_, i) => {
        let position = 0;
        for (let p = 1; p < T; p++)
          if (values![p * features.length + i]! > values![position * features.length + i]!) position = p;
        const activation = values![position * features.length + i]!;
        if (activation > 0) best[i]!.push({ text: encoded[t]!.i, position, activation });
      });
    }
  } finally {
    cols.dispose();
  }
  return best.map((list) => list.sort((a, b) => b.activation - a.activation).slice(0, n));
}

/** Feature j's decoder direction as a one-layer steering vector at the SAE's hook. */
export function featureVector(sae: SparseAutoencoder, j: number): SteeringVector {
  return {
    modelId: sae.modelId,
    hook: sae.hook,
    width: sae.dIn,
    rows: 1,
    layers: { [sae.layer]: Float32Array.from(decoderDirection(sae, j)) },
  };
}
