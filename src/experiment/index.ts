/** experiment's public face: the Experiment schema, its link and file codecs, presets. */

// The names a recipe may use, for pickers.
export { VECTOR_HOOKS, VECTOR_METHODS } from '../interp';
export { exportExperiment, importExperiment, MAX_FILE_BYTES } from './file';
export {
  FINGERPRINT_LIMITS,
  type FingerprintField,
  FingerprintSchema,
  fingerprintField,
  fingerprintFromField,
  packFingerprint,
  unpackFingerprint,
} from './fingerprint';
export { FIRST_VISIT_STRENGTH, firstVisitExperiment, STORY_PROMPT } from './first-visit';
export {
  GateInterventionSchema,
  HeadGateSpecSchema,
  InterventionSchema,
  PlaneRecipeSchema,
  parseInterventions,
  SpecValidationError,
  UnitsRecipeSchema,
  VectorRecipeSchema,
} from './interventions';
export {
  LESSON_CAPITALS,
  LESSON_DATASETS,
  LESSON_ORGANISM,
  LESSONS,
  type Lesson,
  type LessonCheck,
  type LessonDatasets,
  lessonById,
  lessonExperiment,
  lessonRequest,
  REFUSAL_OPENINGS,
  SENTIMENT_WORDS,
} from './lessons';
export {
  base64ToFloat16,
  float16Problem,
  float16ToBase64,
  INLINE_LIMITS,
  INLINE_ORIGINS,
  type InlineVector,
  InlineVectorSchema,
  inlineLayerList,
  inlineLayers,
  MAX_UNITS,
  ROTATION_MODES,
  STEERING_OPERATORS,
  type SteeringOperator,
  type VectorSource,
  VectorSourceSchema,
} from './operators';
export { formatPairs, type PastedPairs, parsePairs } from './pairs';
export {
  PRESET_PAIRS,
  PRESETS,
  type PresetInfo,
  type PresetTuning,
  presetPairs,
} from './presets';
export {
  DEFAULT_MODEL,
  defaultExperiment,
  EXPERIMENT_VERSION,
  type Experiment,
  type ExperimentInput,
  ExperimentSchema,
  type FunctionVectorViewSettings,
  FV_CORRUPTIONS,
  type GenerationSettings,
  type LensViewSettings,
  LIMITS,
  type MethodsViewSettings,
  type ModelSource,
  type SaeViewSettings,
  SPARSITY_EPSILONS,
  type Steering,
  type TextPair,
  VIEW_TABS,
  type ViewTab,
} from './schema';
export {
  coefficientRange,
  completePairs,
  inlineSteeringLayers,
  STEERING_PLANE,
  STEERING_UNITS,
  STEERING_VECTOR,
  type SteeredPlan,
  steeredPlan,
  steeringLayers,
  steeringStrength,
  strengthPatch,
  usesActAdd,
  vectorScaleWarnings,
} from './steering';
export { decode, encode, encodeLink, MAX_LINK_CHARS } from './url';
export { ExperimentError, type ExperimentErrorCode } from './validate';
