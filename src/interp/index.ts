/**
 * interp's public face: the methods of METHODS.md as pure functions of (model, prompts, spec).
 * Other folders import from here, never from a file inside.
 */

// The error every method's failure extends (the engine's), for layers that may not import the engine.
export { RudderError } from '../engine';
// The methods of issue 16 (METHODS.md §13-§18), exported whole from their modules.
export * from './activation-sparsity';
// Reading activations.
export { type CollectOptions, collectActivations, type Position } from './activations';
export { type DlaOptions, type DlaResult, directLogitAttribution } from './attribution';
export { attributionPatch, comparePatching } from './attribution-patching';
export { correlation } from './batching';
export {
  auc,
  chatPrompt,
  fewShotAccuracy,
  HARM_WORDS,
  isRefusal,
  meanLoss,
  namesHarm,
  onTopic,
  REFUSAL_PREFIXES,
  refusalRate,
  replies,
  STORY_TOPIC_WORDS,
  tellsOfTopic,
} from './behaviour';
// Steering (METHODS.md §1-§7, §10, §11): values, recipes, builders, interventions, formats.
export * from './build';
export {
  type CircuitEdge,
  type CircuitHead,
  type CircuitNode,
  type CircuitOptions,
  findRefusalCircuit,
  type RefusalCircuit,
  refusalCircuit,
} from './circuit';
export {
  assertNever,
  type CompileContext,
  type CompiledInterventions,
  compile,
  InterventionError,
  needsHeadMeans,
} from './compile';
export { ablateGates, splitByItem } from './eval/circuit-eval';
export * from './eval/function-vector-eval';
export {
  type FewShotFormat,
  type FewShotItem,
  type OrganismData,
  readOrganismData,
} from './eval/organism-data';
export {
  type ChatFigures,
  chatFigures,
  evaluateOrganism,
  type OrganismFigures,
} from './eval/organism-eval';
export {
  type Sentiment,
  type SentimentClassifier,
  trainSentimentClassifier,
} from './eval/sentiment-classifier';
export { evaluateSteering, type SteeringFigures, sentimentJudge } from './eval/steering-eval';
export * from './export-model';
export * from './fingerprint';
export * from './formats';
export * from './function-vectors';
export {
  checkHead,
  type HeadGate,
  type HeadMeans,
  type HeadRef,
  headGateHooks,
  headId,
  headMeans,
} from './heads';
export * from './icl-tasks';
export type {
  AblateIntervention,
  AddIntervention,
  GateIntervention,
  GuardIntervention,
  HeadGateSpec,
  Intervention,
  InterventionKind,
  InterventionPositions,
  LayerWeightedIntervention,
  RotateIntervention,
  SparsifyIntervention,
  UnitsIntervention,
} from './interventions';
export * from './introspection';
export * from './layer-activity';
export {
  type LensOptions,
  type LensResult,
  type LensRow,
  lensRows,
  logitLens,
  type VectorLensResult,
  vectorLens,
} from './lens';
// Host-side linear algebra on read-back activations.
export { cosine, dot, mean, meanRows, norm, sub, unit } from './linalg';
export {
  lastTokenKl,
  type Metric,
  type MetricOptions,
  measure,
  metricOnLogits,
  refusalProbability,
} from './metrics';
export {
  type OrthogonalizedWeights,
  orthogonalizeModel,
  orthogonalizeWeights,
} from './orthogonalize';
export {
  type PatchGrid,
  type PatchOptions,
  type PatchPair,
  type PatchPoint,
  type PatchSite,
  patch,
  patchSweep,
  type Sweep,
} from './patching';
export type { LogitDirection } from './readout';
export {
  type ContrastPair,
  type PlaneRecipe,
  type PromptInput,
  UNIT_POINTS,
  type UnitPoint,
  type UnitsRecipe,
  VECTOR_HOOKS,
  VECTOR_METHODS,
  type VectorHook,
  type VectorMethod,
  type VectorRecipe,
} from './recipe';
export {
  type RefusalByLayer,
  type RefusalProfile,
  refusalByLayer,
  refusalDirection,
  refusalProfile,
  refusalReferences,
  refusalScores,
  refusalTokenIds,
  replyStartTokens,
} from './refusal';
export * from './sae';
export * from './significant';
export {
  applyWeightEdits,
  elasticNetLambda,
  type HeadEdit,
  type NeuronEdit,
  type Steer2EditOptions,
  steer2editEdits,
  steer2editModel,
  type WeightEdits,
} from './steer2edit';
export {
  lensKlByLayer,
  loadTunedLens,
  type TrainOptions,
  TUNED_LENS_FILE,
  TunedLens,
  trainTunedLens,
  tunedLensFromSafetensors,
  tunedLensToSafetensors,
} from './tuned-lens';
export {
  continuationLoss,
  inNormUnits,
  NEUTRAL_TEXTS,
  TYPICAL_TEXTS,
  typicalNorms,
} from './typical-norm';
export {
  type AtomicUnit,
  add,
  assertCompatible,
  IncompatibleVectorError,
  layerDirection,
  type ModelRef,
  negate,
  normalize,
  type PlaneModule,
  type SteeringPlane,
  type SteeringVector,
  scale,
  subtract,
  type UnitSelection,
  vectorLayers,
} from './vector';
