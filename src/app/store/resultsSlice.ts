import type { StateCreator } from 'zustand';
import type { BuildProgress, LensOutcome, StopReason, VectorInfo } from '../../worker';
import type { RudderState } from './index';
import type { ShownError } from './modelSlice';

export interface Generation {
  /** Increments per run; stream events of an older run are dropped. */
  readonly runId: number;
  readonly status: 'idle' | 'running' | 'done' | 'error';
  /** The prompt this run continues (the box may have been edited since). */
  readonly prompt: string;
  readonly text: string;
  readonly tokenCount: number;
  readonly stopReason?: StopReason;
  readonly ms?: number;
  readonly error?: ShownError;
  /** Steered side: the loop's strength it ran with (the slider's value). */
  readonly coefficient?: number;
  /** Steered side: what it applied, in words ("add 4.00 · 2 heads gated"). */
  readonly applied?: string;
}

/** The steering vector of the current pairs, as far as the page knows it. */
export interface VectorState {
  readonly status: 'none' | 'building' | 'ready' | 'error';
  /** The recipe (canonical JSON) this state is about. */
  readonly recipeKey?: string;
  readonly progress?: BuildProgress;
  readonly info?: VectorInfo;
  readonly error?: ShownError;
}

/** The lens view's latest grids (src/app/views/lens/run.ts). */
export interface LensState {
  /** Increments per request; an older request's answer is dropped. */
  readonly runId: number;
  readonly status: 'idle' | 'running' | 'done' | 'error';
  /** The last answer, kept on screen while a newer one runs. */
  readonly outcome?: LensOutcome;
  readonly error?: ShownError;
}

export interface ResultsSlice {
  /** The baseline (unsteered) continuation. */
  generation: Generation;
  /** The steered continuation, same prompt and seed. */
  steered: Generation;
  vector: VectorState;
  lens: LensState;
}

const IDLE: Generation = { runId: 0, status: 'idle', prompt: '', text: '', tokenCount: 0 };

export const createResultsSlice: StateCreator<RudderState, [], [], ResultsSlice> = () => ({
  generation: IDLE,
  steered: IDLE,
  vector: { status: 'none' },
  lens: { runId: 0, status: 'idle' },
});
