/**
 * What the main thread may ask of the worker that owns the model, one file per view. Every
 * argument and result is plain, structured-cloneable data; callbacks cross as Comlink proxies.
 * Failures reject with a `WorkerError` ({ code, message }), where `code` is the engine's
 * RudderError code.
 *
 * `METHODS` lists every method once, with whether its last parameter is a callback; the worker's
 * entry (worker.ts: each method behind the error guard) and the page's client (client.ts) are made from it.
 * A new method touches two files: its declaration and table entry in its view's file here, and
 * its implementation in `../host/<view>.ts`.
 */
import { FUNCTION_VECTOR_METHODS, type FunctionVectorMethods } from './fv';
import { GENERATE_METHODS, type GenerateMethods } from './generate';
import { HEADS_METHODS, type HeadsMethods } from './heads';
import { LENS_METHODS, type LensMethods } from './lens';
import { MODEL_METHODS, type ModelMethods } from './model';
import { PROFILE_METHODS, type ProfileMethods } from './profiles';
import { REFUSAL_METHODS, type RefusalMethods } from './refusal';
import { SAE_METHODS, type SaeMethods } from './sae';
import { SHARE_METHODS, type ShareMethods } from './share';
import type { MethodTable } from './table';
import { VECTOR_METHODS, type VectorMethods } from './vectors';

export type { BackendName, StopReason } from '../../engine';
export type { Experiment, ExperimentInput, FingerprintField, InlineVector } from '../../experiment';
export type {
  CandidateScore as RefusalCandidateScore,
  GateIntervention,
  HeadGateSpec,
  Intervention,
  LayerStat,
  RefusalCircuit,
  RefusalDrop,
  RefusalFound,
  RefusalProfile,
  RefusalProgress,
  RefusalRecipe,
  RefusalSetCounts,
  RefusalSets,
} from '../../interp';
export type * from './fv';
export type * from './generate';
export type * from './heads';
export type * from './lens';
export type * from './model';
export type * from './profiles';
export type * from './refusal';
export type * from './sae';
export type * from './share';
export type { MethodKind, MethodTable } from './table';
export type * from './vectors';

export interface RudderWorker
  extends ModelMethods,
    GenerateMethods,
    VectorMethods,
    LensMethods,
    HeadsMethods,
    RefusalMethods,
    ProfileMethods,
    FunctionVectorMethods,
    SaeMethods,
    ShareMethods {}

export interface WorkerError {
  readonly code: string;
  readonly message: string;
}

/** Every worker method with its kind, from the views' tables. */
export const METHODS: MethodTable<RudderWorker> = {
  ...MODEL_METHODS,
  ...GENERATE_METHODS,
  ...VECTOR_METHODS,
  ...LENS_METHODS,
  ...HEADS_METHODS,
  ...REFUSAL_METHODS,
  ...PROFILE_METHODS,
  ...FUNCTION_VECTOR_METHODS,
  ...SAE_METHODS,
  ...SHARE_METHODS,
};
