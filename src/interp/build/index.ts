/** Building vectors, planes and unit selections from prompts (METHODS.md §1-§7). */
export { type ActAddOptions, buildActAdd } from './actadd';
export { aggregate, meanDifference } from './aggregators';
export {
  buildContrastVector,
  type ContrastOptions,
  type ContrastReading,
  type ContrastRecipe,
  type ContrastRows,
  contrastRows,
  type LayerStat,
  layerStats,
  vectorFromRows,
} from './contrast';
export { buildFromRecipe } from './from-recipe';
export {
  buildPlane,
  discriminativeModules,
  type ModuleActivations,
  type PlaneOptions,
  planeActivations,
  planeFromActivations,
} from './plane';
export { type EncodeOptions, encodeInput, postInstructionLength } from './prompts';
export {
  type CandidateOptions,
  candidateVector,
  type RefusalCandidates,
  type RefusalSelection,
  refusalCandidates,
  type SelectionOptions,
  selectRefusalDirection,
} from './refusal';
export {
  type FindOptions,
  findRefusalDirection,
  type RefusalFound,
  type RefusalProgress,
  type RefusalRecipe,
  type RefusalSetCounts,
  type RefusalSets,
} from './refusal-find';
export {
  type CandidateScore,
  CandidateScorer,
  type Choice,
  chooseCandidate,
  dropReasons,
  type Filters,
  keepByScore,
  type RefusalDrop,
  thirds,
} from './refusal-select';
export { buildUnits, momenta, type UnitsOptions } from './units';
