/**
 * The worker's side of RudderWorker, one file per view, over one shared context (the backend,
 * the current model and its caches, a job slot per kind of job). It runs in the Web Worker
 * (worker.ts exposes it, each method behind the error guard) and in Node (tests, `rudder replay`).
 */
import type { Model, ModelSource } from '../../engine';
import type { BackendInfo, LoadedModel, RudderWorker } from '../api';
import { HostContext, type HostOptions } from './context';
import { functionVectorMethods } from './fv';
import { generateMethods } from './generate';
import { headsMethods } from './heads';
import { lensMethods } from './lens';
import { modelMethods } from './model';
import { profileMethods } from './profiles';
import { refusalMethods } from './refusal';
import { saeMethods } from './sae';
import { shareMethods } from './share';
import { vectorMethods } from './vectors';

export type { HostOptions } from './context';

export interface ModelHost extends RudderWorker {
  /**
   * Makes a model loaded elsewhere current (the CLI loads from disk), as `load` would: the host
   * owns it from here and frees it on `dispose` or when another replaces it.
   */
  adopt(model: Model, source: ModelSource | undefined, backend: BackendInfo): LoadedModel;
}

export function createHost(opts: HostOptions = {}): ModelHost {
  const ctx = new HostContext(opts);
  return {
    ...modelMethods(ctx),
    ...generateMethods(ctx),
    ...vectorMethods(ctx),
    ...lensMethods(ctx),
    ...headsMethods(ctx),
    ...refusalMethods(ctx),
    ...profileMethods(ctx),
    ...functionVectorMethods(ctx),
    ...saeMethods(ctx),
    ...shareMethods(ctx),
    adopt: (model, source, backend) => ctx.adopt(model, source, backend, performance.now()),
  };
}
