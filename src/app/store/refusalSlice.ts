import type { StateCreator } from 'zustand';
import type {
  CircuitProgress,
  RefusalCircuitResult,
  RefusalFound,
  RefusalProfile,
  RefusalProgress,
  RefusalSets,
} from '../../worker';
import type { RudderState } from './index';
import { IDLE, type JobState } from './jobs';

/** The refusal view's results (src/app/actions/refusal.ts). Never part of the Experiment. */
export interface RefusalSlice {
  /** The loaded model's own harmful / harmless sets (the editor's default). */
  refusalOwn: { readonly modelId: string; readonly sets: RefusalSets } | undefined;
  refusalFind: JobState<RefusalFound, RefusalProgress>;
  refusalProfile: JobState<RefusalProfile>;
  refusalCircuit: JobState<RefusalCircuitResult, CircuitProgress>;
}

export const createRefusalSlice: StateCreator<RudderState, [], [], RefusalSlice> = () => ({
  refusalOwn: undefined,
  refusalFind: IDLE,
  refusalProfile: IDLE,
  refusalCircuit: IDLE,
});
