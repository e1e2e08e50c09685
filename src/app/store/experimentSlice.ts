import type { StateCreator } from 'zustand';
import { defaultExperiment, type Experiment } from '../../experiment';
import type { RudderState } from './index';

/**
 * What the person is asking of the model: the zod-validated Experiment. The URL hash always
 * holds it (actions/share.ts); every edit goes through actions/experiment.ts so that the edit
 * re-runs exactly what it invalidates.
 */
export interface ExperimentSlice {
  experiment: Experiment;
}

export const createExperimentSlice: StateCreator<RudderState, [], [], ExperimentSlice> = () => ({
  experiment: defaultExperiment(),
});
