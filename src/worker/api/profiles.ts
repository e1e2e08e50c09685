/**
 * The methods view: per-layer profiles of the Experiment's prompt (unsteered), layer activity
 * (METHODS.md §14) and MLP activation sparsity (§15), measured in one job.
 */
import type { ExperimentInput } from '../../experiment';
import type { MethodTable } from './table';

export interface LayerProfiles {
  /** The prompt's tokens as the vocabulary spells them (the activity grid's columns). */
  readonly tokens: readonly string[];
  readonly layers: number;
  /** a[l,t] = ‖resid_post − resid_pre‖ / ‖resid_pre‖, row-major [layers, tokens]. */
  readonly activity: Float32Array;
  /** The thresholds measured (SPARSITY_EPSILONS). */
  readonly epsilons: readonly number[];
  /** Share of |mlp_post| ≤ ε, row-major [layers, epsilons]. */
  readonly sparsity: Float32Array;
  /** MLP activations per layer the shares count. */
  readonly count: number;
}

export interface ProfileMethods {
  /** Layer activity and activation sparsity of the experiment's prompt, without steering. */
  layerProfiles(request: { readonly experiment: ExperimentInput }): Promise<LayerProfiles>;
}

export const PROFILE_METHODS: MethodTable<ProfileMethods> = {
  layerProfiles: 'plain',
};
