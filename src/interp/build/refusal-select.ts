/**
 * The parts of METHODS.md §5's selection that need no model (the build / validation / test split,
 * Arditi's data filter, the candidate filters and the choice they lead to), and the scorer that
 * reads one candidate's three scores. Also what is offered when every candidate is dropped: the
 * best of the dropped ones, named as such, never passed off as chosen.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Hooks, leftPadBatch, type Model } from '../../engine';
import { compile } from '../compile';
import { mean } from '../linalg';
import { metricOnLogits } from '../metrics';
import type { SteeringVector } from '../vector';

/** A filter of §5 a candidate can fail. */
export type RefusalDrop = 'kl' | 'induce' | 'late-layer';

export interface CandidateScore {
  /** Post-instruction position, negative from the end of the templated prompt. */
  readonly position: number;
  readonly layer: number;
  /** Mean refusal score on harmful validation prompts with the direction ablated. */
  readonly bypass: number;
  /** Mean refusal score on harmless validation prompts with +r added at resid_pre[layer]. */
  readonly induce: number;
  /** Mean KL(base ‖ ablated) at the last token of the harmless validation prompts. */
  readonly kl: number;
  /** Every filter it fails (empty: kept). */
  readonly dropped: readonly RefusalDrop[];
}

/** Three disjoint thirds of a list (every third item): build, validation, test. */
export function thirds<T>(xs: readonly T[]): [T[], T[], T[]] {
  return [0, 1, 2].map((k) => xs.filter((_, i) => i % 3 === k)) as [T[], T[], T[]];
}

/**
 * Arditi et al.'s data filter (andyrdt/refusal_direction `filter_data`): keep the harmful prompts
 * the model refuses (refusal score > 0) and the harmless ones it answers (score < 0).
 */
export function keepByScore<T>(items: readonly T[], scores: ArrayLike<number>, refused: boolean): T[] {
  return items.filter((_, i) => (refused ? scores[i]! > 0 : scores[i]! < 0));
}

export interface Filters {
  /** KL(base ‖ ablated) above this drops a candidate (§5: 0.1). */
  readonly maxKl: number;
  /** Candidates at layer ≥ this are dropped (§5: 0.8·L). */
  readonly lateFrom: number;
}

/** Every filter a scored candidate fails, in §5's order; empty when it passes. */
export function dropReasons(s: Pick<CandidateScore, 'layer' | 'induce' | 'kl'>, f: Filters): RefusalDrop[] {
  const out: RefusalDrop[] = [];
  if (!(s.kl <= f.maxKl)) out.push('kl');
  if (!(s.induce >= 0)) out.push('induce');
  if (s.layer >= f.lateFrom) out.push('late-layer');
  return out;
}

export interface Choice<S extends CandidateScore = CandidateScore> {
  /** The kept candidate with the lowest bypass score (§5's choice); undefined when none was kept. */
  readonly chosen: S | undefined;
  /**
   * Only when nothing was kept: the dropped candidate that fails the fewest filters, lowest bypass
   * among those. Offered to the person with the reasons it was dropped.
   */
  readonly bestDropped: S | undefined;
}

export function chooseCandidate<S extends CandidateScore>(scores: readonly S[]): Choice<S> {
  const byBypass = (a: S, b: S) => a.bypass - b.bypass;
  const finite = scores.filter((s) => Number.isFinite(s.bypass));
  const kept = finite.filter((s) => s.dropped.length === 0).sort(byBypass);
  if (kept[0]) return { chosen: kept[0], bestDropped: undefined };
  const dropped = [...finite].sort((a, b) => a.dropped.length - b.dropped.length || byBypass(a, b));
  return { chosen: undefined, bestDropped: dropped[0] };
}

/**
 * §5's three scores of a candidate with interp's own operators (compile's ablate and add) and
 * metric: bypass = mean refusal score of the harmful prompts, ablated; induce = mean refusal score
 * of the harmless prompts with +r at resid_pre[layer]; KL(base ‖ ablated) on the harmless prompts.
 * Two forward passes per candidate instead of four: the ablated run reads the bypass score on the
 * harmful prompts and the KL on the harmless ones in one batch, against a base computed once.
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
    private readonly batchSize: number,
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

  /**
   * Runs the base pass once (read back asynchronously: a synchronous read stalls WebGPU).
   * `batchSize` prompts go through the model at a time (default 16, as interp's `measure`).
   */
  static async create(
    model: Model,
    harmful: readonly number[][],
    harmless: readonly number[][],
    refusal: readonly number[],
    batchSize = 16,
  ): Promise<CandidateScorer> {
    const base = lastLogits(model, [...harmful, ...harmless], batchSize);
    try {
      const s = tf.tidy(() => metricOnLogits({ kind: 'refusal-score', refusal }, base));
      const scores = (await s.data()) as Float32Array;
      s.dispose();
      return new CandidateScorer(model, harmful, harmless, refusal, batchSize, base, scores);
    } finally {
      base.dispose();
    }
  }

  async score(r: SteeringVector): Promise<{ bypass: number; induce: number; kl: number }> {
    const { model, harmful, harmless } = this;
    const vectors = { r };
    const ablation = compile({ kind: 'ablate', vector: 'r' }, { model, vectors });
    const addition = compile({ kind: 'add', vector: 'r', coefficient: 1 }, { model, vectors });
    try {
      const ablated = lastLogits(model, this.both, this.batchSize, ablation.hooks);
      const added = lastLogits(model, harmless, this.batchSize, addition.hooks);
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

  dispose(): void {
    this.baseLogp.dispose();
  }
}

/** Logits at each prompt's last token, [batch, vocab], `batchSize` prompts a pass; the caller disposes them. */
function lastLogits(
  model: Model,
  prompts: readonly (readonly number[])[],
  batchSize: number,
  hooks?: Hooks,
): tf.Tensor2D {
  const parts: tf.Tensor2D[] = [];
  for (let i = 0; i < prompts.length; i += Math.max(1, batchSize)) {
    const pad = leftPadBatch(prompts.slice(i, i + Math.max(1, batchSize)));
    const r = model.run(pad.rows, { ...(hooks ? { hooks } : {}), logits: 'last', leftPad: pad.leftPad });
    parts.push(tf.squeeze(r.logits!, [1]) as tf.Tensor2D);
    r.logits!.dispose();
  }
  if (parts.length === 1) return parts[0]!;
  const out = tf.concat(parts, 0);
  for (const t of parts) t.dispose();
  return out;
}
