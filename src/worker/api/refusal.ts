/**
 * The refusal view: METHODS.md §5's direction (the pipeline in interp), a prompt's profile along
 * it, and the refusal circuit (§9), on the Experiment's sets (`experiment.refusal`; a side left out
 * means the model's own, from its folder's datasets).
 */

import type { ExperimentInput } from '../../experiment';
import type {
  RefusalCircuit,
  RefusalFound,
  RefusalProfile,
  RefusalProgress,
  RefusalRecipe,
  RefusalSets,
} from '../../interp';
import type { MethodTable } from './table';

export interface RefusalRequest {
  readonly experiment: ExperimentInput;
}

export interface RefusalProfileRequest extends RefusalRequest {
  /** The direction: a refusal recipe (its build prompts are the references). Default: the experiment's `vectors.refusal`. */
  readonly vector?: RefusalRecipe;
}

export interface CircuitProgress {
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

export interface RefusalCircuitResult {
  readonly circuit: RefusalCircuit;
  readonly refuseTokens: readonly string[];
  readonly complyTokens: readonly string[];
  readonly nLayers: number;
  readonly nHeads: number;
  readonly prompts: number;
  readonly ms: number;
}

export interface RefusalMethods {
  /** The model's own harmful and harmless sets (empty when its folder ships none). */
  refusalSets(): Promise<RefusalSets>;
  /**
   * METHODS.md §5 end to end: filter, candidates, every candidate scored, the choice. A newer call
   * makes an older one stop with code 'cancelled'.
   */
  findRefusalDirection(
    request: RefusalRequest,
    onProgress?: (p: RefusalProgress) => void,
  ): Promise<RefusalFound>;
  /** Per-layer projection of the experiment's prompt onto a refusal direction, against its references. */
  refusalProfile(request: RefusalProfileRequest): Promise<RefusalProfile>;
  /** The refusal circuit (METHODS.md §9) on the experiment's sets. */
  refusalCircuit(
    request: RefusalRequest,
    onProgress?: (p: CircuitProgress) => void,
  ): Promise<RefusalCircuitResult>;
}

export const REFUSAL_METHODS: MethodTable<RefusalMethods> = {
  refusalSets: 'plain',
  findRefusalDirection: 'callback',
  refusalProfile: 'plain',
  refusalCircuit: 'callback',
};
