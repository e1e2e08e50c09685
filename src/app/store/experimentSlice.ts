import type { StateCreator } from 'zustand';
import type { RudderState } from './index';

/**
 * What the person is asking of the model. Becomes the zod-validated Experiment (prompts, vector
 * recipes, interventions) in the playground issue; for now, the prompt and generation settings.
 */
export interface GenerationSettings {
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP: number;
  readonly seed: number;
}

export interface ExperimentSlice {
  prompt: string;
  chat: boolean;
  settings: GenerationSettings;
}

export const DEFAULT_SETTINGS: GenerationSettings = { maxTokens: 40, temperature: 0.8, topP: 0.95, seed: 1 };

export const createExperimentSlice: StateCreator<RudderState, [], [], ExperimentSlice> = () => ({
  prompt: 'Once upon a time',
  chat: false,
  settings: DEFAULT_SETTINGS,
});
