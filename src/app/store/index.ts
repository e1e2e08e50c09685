/** The one zustand store, built from slices (STYLE.md #12). Middleware goes here only. */
import { create } from 'zustand';
import { createExperimentSlice, type ExperimentSlice } from './experimentSlice';
import { createModelSlice, type ModelSlice } from './modelSlice';
import { createRefusalSlice, type RefusalSlice } from './refusalSlice';
import { createResultsSlice, type ResultsSlice } from './resultsSlice';
import { createUiSlice, type UiSlice } from './uiSlice';

export type RudderState = ModelSlice & ExperimentSlice & ResultsSlice & UiSlice & RefusalSlice;

export const useStore = create<RudderState>()((...a) => ({
  ...createModelSlice(...a),
  ...createExperimentSlice(...a),
  ...createResultsSlice(...a),
  ...createUiSlice(...a),
  ...createRefusalSlice(...a),
}));

export type { JobState, ShownError } from './jobs';
export {
  choiceLabel,
  type FileProgress,
  type LoadShown,
  type ModelChoice,
  modelChoice,
  modelSource,
  type ShippedModel,
  withPrecision,
} from './modelSlice';
export type { Continuation, Generation, SteeredRun } from './resultsSlice';

/** The store's keys that hold a worker job's state. */
export type JobKey = {
  [K in keyof RudderState]: RudderState[K] extends import('./jobs').JobState<unknown, unknown> ? K : never;
}[keyof RudderState];
