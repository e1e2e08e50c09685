/**
 * Scoring one refusal candidate (METHODS.md §5) with interp's own operators and metric, in two
 * forward passes over the validation prompts against a base pass made once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Hooks, leftPadBatch, type Model } from '../engine';
import { compile, metricOnLogits, type SteeringVector } from '../interp';

export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / Math.max(1, xs.length);
}

/**
 * §5's three scores of a candidate with interp's own operators (compile's ablate and add) and
 * metric: bypass = mean refusal score of the harmful prompts, ablated; induce = mean refusal score
 * of the harmless prompts with +r at resid_pre[layer]; KL(base ‖ ablated) on the harmless prompts.
 */
export class CandidateScorer {
  private readonly baseLogp: tf.Tensor2D;
  readonly baseHarmful: number;
  readonly baseHarmless: number;
  private readonly both: number[][];
  private readonly metric: { readonly kind: 'refusal-score'; readonly refusal: readonly number[] };

  private constructor(
    private readonly model: Model,
    private readonly harmful: readonly number[][],
    private readonly harmless: readonly number[][],
    refusal: readonly number[],
    base: tf.Tensor2D,
    scores: Float32Array,
  ) {
    this.metric = { kind: 'refusal-score', refusal };
    this.both = [...harmful, ...harmless];
    this.baseHarmful = mean(scores.subarray(0, harmful.length));
    this.baseHarmless = mean(scores.subarray(harmful.length));
    this.baseLogp = tf.keep(
      tf.tidy(() => tf.logSoftmax(tf.slice(base, [harmful.length, 0], [harmless.length, -1]))),
    ) as tf.Tensor2D;
  }

  /** Runs the base pass once (read back asynchronously: a synchronous read stalls WebGPU). */
  static async create(
    model: Model,
    harmful: readonly number[][],
    harmless: readonly number[][],
    refusal: readonly number[],
  ): Promise<CandidateScorer> {
    const pad = leftPadBatch([...harmful, ...harmless]);
    const r = model.run(pad.rows, { logits: 'last', leftPad: pad.leftPad });
    const base = tf.squeeze(r.logits!, [1]) as tf.Tensor2D;
    r.logits!.dispose();
    try {
      const s = tf.tidy(() => metricOnLogits({ kind: 'refusal-score', refusal }, base));
      const scores = (await s.data()) as Float32Array;
      s.dispose();
      return new CandidateScorer(model, harmful, harmless, refusal, base, scores);
    } finally {
      base.dispose();
    }
  }

  async score(
    vectors: Record<string, SteeringVector>,
  ): Promise<{ bypass: number; induce: number; kl: number }> {
    const { model, harmful, harmless } = this;
    const ablation = compile({ kind: 'ablate', vector: 'r' }, { model, vectors });
    const addition = compile({ kind: 'add', vector: 'r', coefficient: 1 }, { model, vectors });
    try {
      const ablated = this.lastLogits(this.both, ablation.hooks);
      const added = this.lastLogits(harmless, addition.hooks);
      const out = tf.tidy(() => {
        const bypass = metricOnLogits(this.metric, tf.slice(ablated, [0, 0], [harmful.length, -1]));
        const lq = tf.logSoftmax(tf.slice(ablated, [harmful.length, 0], [harmless.length, -1]));
        const kl = tf.sum(tf.mul(tf.exp(this.baseLogp), tf.sub(this.baseLogp, lq)), 1);
        return tf.stack([tf.mean(bypass), tf.mean(metricOnLogits(this.metric, added)), tf.mean(kl)]);
      });
      ablated.dispose();
      added.dispose();
      const [bypass, induce, kl] = await out.data();
      out.dispose();
      return { bypass: bypass!, induce: induce!, kl: kl! };
    } finally {
      ablation.dispose();
      addition.dispose();
    }
  }

  /** Logits at each prompt's last token, [batch, vocab]; the caller disposes them. */
  private lastLogits(prompts: readonly (readonly number[])[], hooks?: Hooks): tf.Tensor2D {
    const pad = leftPadBatch(prompts);
    const r = this.model.run(pad.rows, { ...(hooks ? { hooks } : {}), logits: 'last', leftPad: pad.leftPad });
    const out = tf.squeeze(r.logits!, [1]) as tf.Tensor2D;
    r.logits!.dispose();
    return out;
  }

  dispose(): void {
    this.baseLogp.dispose();
  }
}
