/** Generation: the baseline and the steered continuation of the Experiment's prompt, side by side. */

import type { StopReason } from '../../engine';
import type { ExperimentInput } from '../../experiment';
import type { Intervention } from '../../interp';
import type { MethodTable } from './table';

/**
 * Which sides run. both: the baseline, and the steered side when anything steers. steered: the
 * steered side only (a steering edit), its baseline unchanged.
 */
export type GenerateSides = 'both' | 'steered';

export interface GenerateRequest {
  /** Validated by ExperimentSchema in the worker (defaults filled in). */
  readonly experiment: ExperimentInput;
  readonly sides: GenerateSides;
}

export type Side = 'baseline' | 'steered';

export interface TokenEvent {
  readonly side: Side;
  readonly id: number;
  /** The text this token completes (may be '' while a multi-byte character is incomplete). */
  readonly text: string;
  readonly index: number;
}

export interface SideOutcome {
  readonly tokens: readonly number[];
  readonly text: string;
  /** 'cancelled' covers both Stop and a newer generation taking over. */
  readonly stopReason: StopReason;
}

export interface GenerateOutcome {
  readonly promptTokens: number;
  /** Absent when only the steered side ran. */
  readonly baseline?: SideOutcome;
  /** Absent when nothing steers. `applied`: the interventions it ran with. */
  readonly steered?: SideOutcome & { readonly applied: readonly Intervention[] };
  readonly ms: number;
}

export interface GenerateMethods {
  /**
   * Generates the sides the request asks for, streaming each token with its side; both sides draw
   * from the experiment's seed, so strength 0 reproduces the baseline. A newer generate stops this
   * one between tokens (it resolves with stopReason 'cancelled').
   */
  generate(request: GenerateRequest, onToken?: (t: TokenEvent) => void): Promise<GenerateOutcome>;
}

export const GENERATE_METHODS: MethodTable<GenerateMethods> = {
  generate: 'callback',
};
