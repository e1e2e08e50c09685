import type { StateCreator } from 'zustand';
import type { StopReason } from '../../worker';
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
}

export interface ResultsSlice {
  generation: Generation;
}

export const createResultsSlice: StateCreator<RudderState, [], [], ResultsSlice> = () => ({
  generation: { runId: 0, status: 'idle', prompt: '', text: '', tokenCount: 0 },
});
