/**
 * The sparse autoencoder view (METHODS.md §17): an SAE trained on the model's residual stream at
 * one layer, on its folder's shipped texts, in one job with progress; its figures on held-out
 * tokens and its features with their top-activating texts. Stop ends it.
 */
import type { ExperimentInput } from '../../experiment';
import type { SaeFigures } from '../../interp/sae';
import type { MethodTable } from './table';

export interface SaeJobProgress {
  /** activations: reading resid_post over the texts; train: Adam steps; features: top texts. */
  readonly stage: 'activations' | 'train' | 'features';
  readonly done: number;
  readonly total: number;
  /** Training: the last batch's L0 and the features silent since the last resampling. */
  readonly l0?: number;
  readonly dead?: number;
}

/** A text where a feature is strong: the token where it is strongest, with a little context. */
export interface SaeFeatureExample {
  readonly before: string;
  readonly token: string;
  readonly after: string;
  readonly activation: number;
}

export interface SaeFeature {
  readonly feature: number;
  /** Its largest activation over the texts. */
  readonly max: number;
  /** How many texts it fires in. */
  readonly texts: number;
  readonly examples: readonly SaeFeatureExample[];
  /** Its decoder direction W_dec[:, j] (unit norm), [d_model]. */
  readonly direction: Float32Array;
}

export interface SaeOutcome extends SaeFigures {
  readonly modelId: string;
  readonly layer: number;
  readonly dSae: number;
  readonly l1: number;
  readonly steps: number;
  readonly trainTokens: number;
  readonly resampled: number;
  readonly trainMs: number;
  /** The mean norm of resid_post[layer] (what a steering strength is measured against). */
  readonly residNorm: number;
  /** The features listed, strongest first (the live ones that fire in some text). */
  readonly features: readonly SaeFeature[];
  readonly ms: number;
}

export interface SaeMethods {
  /**
   * Trains the SAE of the experiment's `view.sae` settings. A newer call, or stopSparseAutoencoder,
   * makes a running one stop with code 'cancelled'.
   */
  sparseAutoencoder(
    request: { readonly experiment: ExperimentInput },
    onProgress?: (p: SaeJobProgress) => void,
  ): Promise<SaeOutcome>;
  /** Stops the running SAE job (Stop). */
  stopSparseAutoencoder(): void;
}

export const SAE_METHODS: MethodTable<SaeMethods> = {
  sparseAutoencoder: 'callback',
  stopSparseAutoencoder: 'plain',
};
