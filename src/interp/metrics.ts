/**
 * Scalar measures of a run's next-token distribution, computed on the device from logits so that
 * patching sweeps read back one number per row and attribution patching can differentiate them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, type Hooks, type Model, RudderError, yieldToEventLoop } from '../engine';
import { leftPadBatch, readFloats } from './batching';
import { assertTokens } from './readout';

export type Metric =
  /** mean logit of `target` − mean logit of `baseline` (baseline may be empty). */
  | { readonly kind: 'logit-diff'; readonly target: readonly number[]; readonly baseline: readonly number[] }
  /** METHODS.md §5: log P(R) − log(1 − P(R)), R = the tokens that start a refusal. */
  | { readonly kind: 'refusal-score'; readonly refusal: readonly number[] }
  | { readonly kind: 'prob'; readonly token: number }
  | { readonly kind: 'logprob'; readonly token: number };

export function metricTokens(metric: Metric): number[] {
  switch (metric.kind) {
    case 'logit-diff':
      return [...metric.target, ...metric.baseline];
    case 'refusal-score':
      return [...metric.refusal];
    case 'prob':
    case 'logprob':
      return [metric.token];
  }
}

export function checkMetric(model: Model, metric: Metric): void {
  const ids = metricTokens(metric);
  if (ids.length === 0 || (metric.kind === 'logit-diff' && metric.target.length === 0))
    throw new RudderError('empty-input', `The ${metric.kind} metric needs at least one token.`);
  assertTokens(model, ids);
}

/** logits [batch, vocab] → metric [batch]. Differentiable; call inside tidy or a gradient function. */
export function metricOnLogits(metric: Metric, logits: tf.Tensor2D): tf.Tensor1D {
  const cols = (ids: readonly number[]) => tf.gather(logits, tf.tensor1d(Int32Array.from(ids), 'int32'), 1);
  switch (metric.kind) {
    case 'logit-diff': {
      const t = tf.mean(cols(metric.target), 1);
      return (metric.baseline.length ? tf.sub(t, tf.mean(cols(metric.baseline), 1)) : t) as tf.Tensor1D;
    }
    case 'refusal-score': {
      // log P(R) − log P(not R) = logsumexp over R − logsumexp over the rest: stable where P(R) → 1.
      const vocab = logits.shape[1];
      const outside = new Float32Array(vocab);
      for (const id of metric.refusal) outside[id] = -1e9;
      const rest = tf.logSumExp(tf.add(logits, tf.tensor1d(outside)), 1);
      return tf.sub(tf.logSumExp(cols(metric.refusal), 1), rest) as tf.Tensor1D;
    }
    case 'prob':
      return tf.exp(
        tf.squeeze(tf.sub(cols([metric.token]), tf.logSumExp(logits, 1, true)), [1]),
      ) as tf.Tensor1D;
    case 'logprob':
      return tf.squeeze(tf.sub(cols([metric.token]), tf.logSumExp(logits, 1, true)), [1]) as tf.Tensor1D;
  }
}

/** The refusal probability P(R) of §5's score s: σ(s). */
export function refusalProbability(score: number): number {
  return 1 / (1 + Math.exp(-score));
}

export interface MetricOptions {
  readonly hooks?: Hooks;
  /** Prompts per forward pass. Default 16. */
  readonly batchSize?: number;
  /** Checked before each batch (after yielding to the event loop); once aborted, CancelledError. */
  readonly signal?: AbortSignal;
}

/** The metric at each prompt's last token, one number per prompt. */
export async function measure(
  model: Model,
  prompts: readonly (readonly number[])[],
  metric: Metric,
  opts: MetricOptions = {},
): Promise<Float32Array> {
  checkMetric(model, metric);
  return perBatch(prompts, opts.batchSize ?? 16, opts.signal, (batch) => {
    const pad = leftPadBatch(batch);
    const r = model.run(pad.rows, { hooks: opts.hooks, logits: 'last', leftPad: pad.leftPad });
    return tf.tidy(() => {
      const m = metricOnLogits(metric, tf.squeeze(r.logits!, [1]) as tf.Tensor2D);
      r.logits!.dispose();
      return m;
    });
  });
}

/**
 * Mean KL(base ‖ hooked) of the next-token distribution at each prompt's last token: how far an
 * intervention moves the model where it should not (METHODS.md §5 keeps candidates under 0.1).
 */
export async function lastTokenKl(
  model: Model,
  prompts: readonly (readonly number[])[],
  hooks: Hooks,
  opts: { readonly batchSize?: number } = {},
): Promise<{ mean: number; perPrompt: Float32Array }> {
  const perPrompt = await perBatch(prompts, opts.batchSize ?? 16, undefined, (batch) => {
    const pad = leftPadBatch(batch);
    const base = model.run(pad.rows, { logits: 'last', leftPad: pad.leftPad }).logits!;
    const hooked = model.run(pad.rows, { hooks, logits: 'last', leftPad: pad.leftPad }).logits!;
    return tf.tidy(() => {
      const lp = tf.logSoftmax(tf.squeeze(base, [1]));
      const lq = tf.logSoftmax(tf.squeeze(hooked, [1]));
      base.dispose();
      hooked.dispose();
      return tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq)), 1);
    });
  });
  return { mean: perPrompt.reduce((a, b) => a + b, 0) / perPrompt.length, perPrompt };
}

/** Runs `fn` on batches of prompts, each returning a [batch] tensor, and concatenates the results. */
async function perBatch(
  prompts: readonly (readonly number[])[],
  batchSize: number,
  signal: AbortSignal | undefined,
  fn: (batch: readonly (readonly number[])[]) => tf.Tensor,
): Promise<Float32Array> {
  const out = new Float32Array(prompts.length);
  for (let start = 0; start < prompts.length; start += batchSize) {
    if (signal) {
      await yieldToEventLoop();
      if (signal.aborted) throw new CancelledError();
    }
    const values = await readFloats(fn(prompts.slice(start, start + batchSize)));
    out.set(values, start);
  }
  return out;
}
