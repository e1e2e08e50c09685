/**
 * interp's public face: the methods of METHODS.md as pure functions of (model, prompts, spec).
 * Other folders import from here, never from a file inside.
 */

// Reading activations.
export { type CollectOptions, collectActivations, type Position } from './activations';

// Steering (METHODS.md §1-§7, §10, §11): values, recipes, builders, interventions, formats.
export * from './build';
export {
  assertNever,
  type CompileContext,
  type CompiledInterventions,
  compile,
  InterventionError,
} from './compile';
export * from './formats';
export type {
  AblateIntervention,
  AddIntervention,
  GuardIntervention,
  Intervention,
  InterventionKind,
  InterventionPositions,
  LayerWeightedIntervention,
  RotateIntervention,
  UnitsIntervention,
} from './interventions';
export {
  type OrthogonalizedWeights,
  orthogonalizeModel,
  orthogonalizeWeights,
  readHostWeights,
} from './orthogonalize';
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
