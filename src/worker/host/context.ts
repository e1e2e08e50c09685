/**
 * What every view's jobs share: the backend, the current model with its caches and sessions, a
 * job slot per kind of job, and reading a request's Experiment (validated once, here).
 *
 * One model is current at a time. A load replaces it only once the new one is on the device; the
 * old one's jobs are aborted, and its weights freed once every slot is idle.
 */
import {
  type BackendChoice,
  type Model,
  type ModelSource,
  nativeKernelThreads,
  parameterCount,
  RudderError,
  selectBackend,
} from '../../engine';
import {
  type Experiment,
  type ExperimentInput,
  ExperimentSchema,
  SpecValidationError,
} from '../../experiment';
import {
  encodeInput,
  type FewShotFormat,
  type IclItem,
  type RefusalByLayer,
  type RefusalSets,
} from '../../interp';
import type { BackendInfo, LoadedModel, LoadRequest } from '../api';
import { HeadsSession } from '../heads';
import { drain, JobSlot } from '../job-slot';
import { LensSession } from '../lens';
import { clampThreads, wasmThreadCount } from '../threads';
import { VectorStore } from '../vectors';

export interface HostOptions {
  /** tfjs-backend-wasm binaries (the bundled URLs in the app). */
  readonly wasmPaths?: Record<string, string>;
  /** Told the backend once it is set (the Web Worker watches a WebGPU device for loss). */
  readonly onBackend?: (choice: BackendChoice) => void;
}

/** A model folder's few-shot tasks, each split into the items that build an FV and those held out. */
export interface IclTaskSet {
  readonly tasks: Map<string, { readonly build: IclItem[]; readonly heldOut: IclItem[] }>;
  readonly format: FewShotFormat | undefined;
}

/** The current model and what is kept for it (dropped with it). */
export interface Current {
  readonly model: Model;
  readonly source: ModelSource | undefined;
  readonly vectors: VectorStore;
  readonly lens: LensSession;
  readonly heads: HeadsSession;
  /** The model's own refusal sets, read once from its folder (host/refusal.ts). */
  ownSets?: Promise<RefusalSets>;
  /** The model's few-shot tasks, read once from its folder (host/fv.ts). */
  iclTasks?: Promise<IclTaskSet>;
  /** The refusal profile's references, for the direction they were read along (host/refusal.ts). */
  references?: { readonly key: string; readonly refs: RefusalByLayer };
}

export class HostContext {
  current: Current | undefined;
  /** A slot per kind of job: a newer job of one kind stops the older one of that kind only. */
  readonly slots = {
    load: new JobSlot(),
    generation: new JobSlot(),
    lens: new JobSlot(),
    refusalFind: new JobSlot(),
    refusalCircuit: new JobSlot(),
    refusalProfile: new JobSlot(),
    profiles: new JobSlot(),
    fv: new JobSlot(),
    sae: new JobSlot(),
    fingerprint: new JobSlot(),
    export: new JobSlot(),
  } as const;
  private backend: Promise<{ choice: BackendChoice; info: BackendInfo }> | undefined;

  constructor(readonly opts: HostOptions = {}) {}

  require(): Current {
    if (!this.current)
      throw new RudderError('no-model', 'No model is loaded yet: choose a model and wait for it to load.');
    return this.current;
  }

  /** The request's Experiment, validated (and its defaults filled in) once, here. */
  experiment(input: ExperimentInput): Experiment {
    const r = ExperimentSchema.safeParse(input);
    if (!r.success) throw new SpecValidationError('The experiment', r.error.issues);
    return r.data;
  }

  /**
   * A request on the experiment's prompt, read once: the current model, the Experiment validated,
   * and its prompt as tokens (through the chat template when it says so).
   */
  read(input: ExperimentInput): { cur: Current; exp: Experiment; prompt: number[] } {
    const cur = this.require();
    const exp = this.experiment(input);
    const { model } = cur;
    if (!model.tokenizer)
      throw new RudderError(
        'no-tokenizer',
        `${model.id} has no tokenizer.json, so it cannot turn text into tokens. Load a model folder that includes its tokenizer files.`,
      );
    return { cur, exp, prompt: encodeInput(model, exp.prompt.text, { chat: exp.prompt.chat }) };
  }

  /** The backend, chosen on the first load and kept for the worker's life. */
  ensureBackend(request: LoadRequest): Promise<{ choice: BackendChoice; info: BackendInfo }> {
    if (!this.backend) {
      const started = this.startBackend(request);
      this.backend = started;
      // A backend that failed to start may start on a later try.
      started.catch(() => {
        if (this.backend === started) this.backend = undefined;
      });
    }
    return this.backend;
  }

  /**
   * Makes `model` current and describes it. The previous model's jobs stop at their next check and
   * its weights are freed once they have let go.
   */
  adopt(model: Model, source: ModelSource | undefined, backend: BackendInfo, started: number): LoadedModel {
    const previous = this.current;
    this.current = {
      model,
      source,
      vectors: new VectorStore(model),
      lens: new LensSession(model, source),
      heads: new HeadsSession(model, source),
    };
    if (previous) void this.release(previous);
    return {
      id: model.id,
      spec: model.spec,
      parameters: parameterCount(model.spec),
      hasTokenizer: model.tokenizer !== undefined,
      hasChatTemplate: model.tokenizer?.hasChatTemplate ?? false,
      backend,
      loadMs: Math.round(performance.now() - started),
      precision: model.weights.precision,
      weightBytes: model.weights.bytes,
    };
  }

  /** Frees the current model once no job uses it. */
  dispose(): void {
    this.slots.load.abort();
    const previous = this.current;
    this.current = undefined;
    if (previous) void this.release(previous);
  }

  private async release(old: Current): Promise<void> {
    const { load: _, ...jobs } = this.slots;
    old.heads.cancel();
    await drain([...Object.values(jobs), old.vectors.reads]);
    await old.heads.idle();
    old.lens.dispose();
    old.model.dispose();
  }

  private async startBackend(request: LoadRequest): Promise<{ choice: BackendChoice; info: BackendInfo }> {
    // Around any choice: WebAssembly may be the fallback of another preference.
    const asked = request.threads === undefined ? undefined : clampThreads(request.threads);
    const wanted = asked ?? wasmThreadCount();
    const choice = await selectBackend({
      ...(request.backend ? { prefer: request.backend } : {}),
      ...(this.opts.wasmPaths ? { wasmPaths: this.opts.wasmPaths } : {}),
      wasmThreads: wanted,
    });
    this.opts.onBackend?.(choice);
    return { choice, info: describeBackend(choice, asked, wanted) };
  }
}

/** The backend as the page shows it; on WebAssembly with its thread count, and why only one. */
function describeBackend(choice: BackendChoice, asked: number | undefined, wanted: number): BackendInfo {
  const base = {
    name: choice.name,
    passedOver: choice.passedOver,
    ...(choice.software ? { software: choice.software } : {}),
  };
  if (choice.name !== 'wasm') return { ...base, reason: choice.reason };
  const threads = nativeKernelThreads().threads;
  return { ...base, reason: `${choice.reason} ${threadNote(threads, asked, wanted)}`, threads };
}

/** How many WebAssembly threads run, and why only one when there is one. */
export function threadNote(threads: number, asked: number | undefined, wanted: number): string {
  if (threads > 1) return `Multi-threaded: ${threads} threads.`;
  if (!globalThis.crossOriginIsolated)
    return 'One thread (the page is not cross-origin isolated, so threads cannot share its memory).';
  if (asked === 1) return 'One thread (asked for by ?threads=1).';
  if ((globalThis.navigator?.hardwareConcurrency ?? 1) < 2)
    return 'One thread (this device reports one core).';
  if (wanted > 1) return 'One thread (the helper workers for more could not start).';
  return 'One thread.';
}
