/** The lens view: the logit (or tuned) lens of the Experiment's prompt, baseline and steered. */

import type { ExperimentInput } from '../../experiment';
import type { MethodTable } from './table';

export type LensKind = 'logit' | 'tuned';

export interface LensRowInfo {
  /** 'embed', 'post 3'. */
  readonly label: string;
  readonly layer: number;
  readonly point: 'embed' | 'resid_mid' | 'resid_post';
}

/** One lens grid; arrays are row-major over [rows, positions, …]; the last row is the model's own. */
export interface LensGrid {
  /** [rows, positions, k], most likely first. */
  readonly topIds: Int32Array;
  readonly topProbs: Float32Array;
  /** [rows, positions], nats. */
  readonly entropy: Float32Array;
  /** KL(final ‖ lens) [rows, positions], nats (0 on the last row). */
  readonly kl: Float32Array;
  /** [rows, positions, tracked]. */
  readonly trackedProbs: Float32Array;
  /** [rows, positions, tracked]: tokens more likely than it (0 = the top token). */
  readonly trackedRanks: Int32Array;
}

export interface LensOutcome {
  /** The lens that ran ('logit' where a tuned one was asked for but the model has none). */
  readonly kind: LensKind;
  readonly tunedAvailable: boolean;
  /** Why the tuned lens beside the model could not be used (it does not fit the model). */
  readonly tunedError?: string;
  /** The prompt's token ids (positions). */
  readonly tokens: readonly number[];
  readonly rows: readonly LensRowInfo[];
  readonly k: number;
  readonly tracked: readonly number[];
  readonly baseline: LensGrid;
  /** Absent when nothing steers. */
  readonly steered?: LensGrid;
  /** Readable text of every token id above (prompt, cells, tracked). */
  readonly texts: Readonly<Record<number, string>>;
  readonly ms: number;
}

/** Refusal requests: sets left out mean the model's own (`datasets/harmful.json`, `harmless.json`). */

export interface LensRequest {
  /** Its prompt, its lens settings (kind, tracked token) and what steers it. */
  readonly experiment: ExperimentInput;
  /** Top tokens per cell (1 to 20). Default 5. */
  readonly k?: number;
}

export interface LensMethods {
  /**
   * The lens grids of the experiment's prompt: the baseline, and the steered run (the steered
   * generation's interventions) when anything steers. Runs beside generation (its own job slot); a
   * newer lens request makes an older one reject with code 'cancelled'.
   */
  lens(request: LensRequest): Promise<LensOutcome>;
}

export const LENS_METHODS: MethodTable<LensMethods> = {
  lens: 'plain',
};
