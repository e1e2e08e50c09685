/** experiment's public face: the Experiment schema, its link and file codecs, presets. */

// The names a recipe may use, for pickers (recipe.ts holds no runtime imports, so this stays light).
export { VECTOR_HOOKS, VECTOR_METHODS } from '../interp/recipe';
export { exportExperiment, importExperiment, MAX_FILE_BYTES } from './file';
export {
  InterventionSchema,
  parseInterventions,
  SpecValidationError,
  VectorRecipeSchema,
} from './interventions';
export { formatPairs, type PastedPairs, parsePairs } from './pairs';
export { FORMALITY_PAIRS, PRESET_PAIRS, PRESETS, type PresetInfo, presetPairs } from './presets';
export {
  DEFAULT_MODEL,
  defaultExperiment,
  EXPERIMENT_VERSION,
  type Experiment,
  type ExperimentInput,
  ExperimentSchema,
  type GenerationSettings,
  LIMITS,
  type ModelSource,
  type Steering,
  type TextPair,
  VIEW_TABS,
  type ViewTab,
} from './schema';
export {
  coefficientRange,
  completePairs,
  experimentRecipes,
  STEERING_VECTOR,
  steeredInterventions,
  steeringLayers,
  steeringRecipe,
} from './steering';
export { decode, encode, MAX_LINK_CHARS } from './url';
export { ExperimentError, type ExperimentErrorCode } from './validate';
