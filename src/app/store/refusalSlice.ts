import type { StateCreator } from 'zustand';
import type {
  RefusalCircuitResult,
  RefusalFound,
  RefusalProfile,
  RefusalProgress,
  RefusalSets,
} from '../../worker';
import type { RudderState } from './index';
import type { ShownError } from './modelSlice';

/** One of the refusal view's worker jobs: its latest answer stays on screen while a newer one runs. */
export interface RefusalJob<T, P = never> {
  /** Increments per request; an older request's answer is dropped. */
  readonly runId: number;
  readonly status: 'idle' | 'running' | 'done' | 'error';
  readonly progress?: P;
  readonly result?: T;
  readonly error?: ShownError;
}

export interface CircuitProgress {
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

/** The refusal view's results (src/app/views/refusal/actions.ts). Never part of the Experiment. */
export interface RefusalSlice {
  refusal: {
    /** The loaded model's own harmful / harmless sets (the editor's default). */
    readonly own?: { readonly modelId: string; readonly sets: RefusalSets };
    readonly find: RefusalJob<RefusalFound, RefusalProgress>;
    readonly profile: RefusalJob<RefusalProfile>;
    readonly circuit: RefusalJob<RefusalCircuitResult, CircuitProgress>;
  };
}

export const createRefusalSlice: StateCreator<RudderState, [], [], RefusalSlice> = () => ({
  refusal: {
    find: { runId: 0, status: 'idle' },
    profile: { runId: 0, status: 'idle' },
    circuit: { runId: 0, status: 'idle' },
  },
});
