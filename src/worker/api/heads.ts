/** The head gates view: a score per head for the Experiment's prompt, and each head's attention. */

import type { ExperimentInput } from '../../experiment';
import type { MethodTable } from './table';

/** What colours the head grid: see `HeadScores` for each measure's meaning. */
export type HeadMeasure = 'dla' | 'patch' | 'entropy';

export interface HeadScoresRequest {
  /** Its prompt (and chat flag) is the one scored. */
  readonly experiment: ExperimentInput;
  readonly measure: HeadMeasure;
  /** dla: the logit difference logit(target) − logit(baseline). Default: the top two next tokens. */
  readonly tokens?: { readonly target: number; readonly baseline: number };
  /**
   * patch: the counterpart prompt the current prompt's head outputs are patched into. Default: a
   * request from the model's shipped sets, harmless when the prompt is refused, harmful otherwise.
   */
  readonly counterpart?: string;
}

export interface NextToken {
  readonly id: number;
  readonly text: string;
  readonly prob: number;
}

/**
 * One number per head for the prompt, `values[layer * nHeads + head]`:
 * - dla: the head's direct contribution to logit(target) − logit(baseline) at the last position;
 * - patch: the change of the counterpart's refusal score (log-odds) when the head's output at the
 *   last position is copied in from the current prompt;
 * - entropy: the entropy (nats) of the head's attention from the last position.
 */
export interface HeadScores {
  readonly measure: HeadMeasure;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly values: readonly number[];
  /** The prompt's tokens as text, one per position. */
  readonly tokens: readonly string[];
  /** dla: the model's most likely next tokens after the prompt (to pick the difference from); else empty. */
  readonly next: readonly NextToken[];
  readonly dla?: {
    readonly target: NextToken;
    readonly baseline: NextToken;
    readonly logitDiff: number;
  };
  readonly patch?: {
    readonly counterpart: string;
    /** Where the counterpart came from. */
    readonly from: 'harmless' | 'harmful' | 'given';
    /** Refusal scores (log-odds) of the current prompt and of its counterpart. */
    readonly clean: number;
    readonly corrupt: number;
    /** Attribution patching's estimate of each head's effect (same layout as `values`). */
    readonly attribution: readonly number[];
    /** Pearson correlation of the estimate with the exact effects over the heads. */
    readonly correlation: number;
  };
  readonly ms: number;
}

export interface AttentionPatternRequest {
  readonly experiment: ExperimentInput;
  readonly layer: number;
  readonly head: number;
}

export interface AttentionPattern {
  readonly layer: number;
  readonly head: number;
  readonly tokens: readonly string[];
  /** [query position][key position]: attention weights, each row sums to 1. */
  readonly weights: readonly (readonly number[])[];
}

export interface HeadsMethods {
  /**
   * Per-head scores of the prompt for the head grid. Runs beside generation; a newer headScores
   * makes an older one reject with code 'cancelled'.
   */
  headScores(request: HeadScoresRequest): Promise<HeadScores>;
  /** One head's attention pattern over the prompt (cached per prompt: hovering is cheap). */
  attentionPattern(request: AttentionPatternRequest): Promise<AttentionPattern>;
}

export const HEADS_METHODS: MethodTable<HeadsMethods> = {
  headScores: 'plain',
  attentionPattern: 'plain',
};
