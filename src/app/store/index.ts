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

export {
  choiceLabel,
  type FileProgress,
  type Loading,
  type ModelChoice,
  type ShippedModel,
  type ShownError,
} from './modelSlice';
export type { Generation, LensState, VectorState } from './resultsSlice';
