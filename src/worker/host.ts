/**
 * The worker's side of RudderWorker: owns the backend, the current model and the running jobs.
 * One model is current at a time; a load replaces it only once the new one is fully on the
 * device, so a failed load leaves the previous model usable. A newer generate aborts the older
 * one between tokens and waits for it to let go before starting.
 */
import {
  type BackendChoice,
  CancelledError,
  generate,
  loadModel,
  type Model,
  parameterCount,
  RudderError,
  type RudderTokenizer,
  selectBackend,
} from '../engine';
import { parseInterventions, SpecValidationError, VectorRecipeSchema } from '../experiment';
import { type CompiledInterventions, compile, type SteeringVector, type VectorRecipe } from '../interp';
import type {
  BackendInfo,
  BuildProgress,
  GenerateOutcome,
  GenerateRequest,
  LoadedModel,
  LoadProgress,
  LoadRequest,
  RowsOutcome,
  RowsRequest,
  RowTokenEvent,
  RudderWorker,
  TokenEvent,
  VectorInfo,
} from './api';
import { toWorkerError } from './errors';
import { generateRows } from './rows';
import { sourceFor } from './sources';
import { withWasmThreads } from './threads';
import { VectorStore } from './vectors';

/** Progress messages per file are thinned to this interval (the last one always goes). */
const PROGRESS_INTERVAL_MS = 50;

export interface HostOptions {
  /** tfjs-backend-wasm binaries (the bundled URLs in the app). */
  readonly wasmPaths?: Record<string, string>;
}

export class ModelHost implements RudderWorker {
  private backend: Promise<{ choice: BackendChoice; info: BackendInfo }> | undefined;
  private model: Model | undefined;
  private loadCtl: AbortController | undefined;
  private genCtl: AbortController | undefined;
  /** Settles when the running generation has let go of the model. */
  private genDone: Promise<void> = Promise.resolve();
  private readonly vectors = new VectorStore();

  constructor(private readonly opts: HostOptions = {}) {}

  async load(request: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel> {
    try {
      return await this.loadInner(request, onProgress);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async generate(request: GenerateRequest, onToken?: (t: TokenEvent) => void): Promise<GenerateOutcome> {
    try {
      return await this.generateInner(request, onToken);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async buildVector(recipe: VectorRecipe, onProgress?: (p: BuildProgress) => void): Promise<VectorInfo> {
    try {
      return await this.buildInner(recipe, onProgress);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async generateRows(request: RowsRequest, onToken?: (t: RowTokenEvent) => void): Promise<RowsOutcome> {
    try {
      return await this.rowsInner(request, onToken);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  cancel(): void {
    this.genCtl?.abort();
  }

  dispose(): void {
    this.loadCtl?.abort();
    this.genCtl?.abort();
    const model = this.model;
    this.model = undefined;
    void this.genDone.then(() => model?.dispose());
  }

  private async loadInner(
    request: LoadRequest,
    onProgress?: (p: LoadProgress) => void,
  ): Promise<LoadedModel> {
    this.loadCtl?.abort();
    const ctl = new AbortController();
    this.loadCtl = ctl;
    const started = performance.now();
    const backend = await this.ensureBackend(request);
    const source = sourceFor(request.model);
    const model = await loadModel(source, {
      limits: backend.choice.limits,
      signal: ctl.signal,
      onProgress: onProgress && thinned(onProgress),
    });
    if (ctl.signal.aborted) {
      model.dispose();
      throw new CancelledError();
    }
    if (this.loadCtl === ctl) this.loadCtl = undefined;
    // Swap only now: until here the previous model stayed current and usable. Generations that
    // start from here on read the new model; the running one (on the old) stops between tokens,
    // and the old weights are freed once it has let go.
    const previous = this.model;
    this.model = model;
    this.vectors.clear();
    this.genCtl?.abort();
    const drained = this.genDone;
    void drained.then(() => previous?.dispose());
    return {
      id: model.id,
      spec: model.spec,
      parameters: parameterCount(model.spec),
      hasTokenizer: model.tokenizer !== undefined,
      hasChatTemplate: model.tokenizer?.hasChatTemplate ?? false,
      backend: backend.info,
      loadMs: Math.round(performance.now() - started),
    };
  }

  private ensureBackend(request: LoadRequest): Promise<{ choice: BackendChoice; info: BackendInfo }> {
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

  private async startBackend(request: LoadRequest): Promise<{ choice: BackendChoice; info: BackendInfo }> {
    // Around any choice: WebAssembly may be the fallback of another preference.
    const choice = await withWasmThreads(() =>
      selectBackend({
        ...(request.backend ? { prefer: request.backend } : {}),
        ...(this.opts.wasmPaths ? { wasmPaths: this.opts.wasmPaths } : {}),
      }),
    );
    return { choice, info: await describeBackend(choice) };
  }

  private async generateInner(
    request: GenerateRequest,
    onToken?: (t: TokenEvent) => void,
  ): Promise<GenerateOutcome> {
    return this.job(async (model, signal) => {
      const tokenizer = needTokenizer(model);
      checkSettings(request);
      const prompt = encodePrompt(model, request);
      const decoder = tokenizer.createStreamDecoder({ skipSpecialTokens: true });
      const started = performance.now();
      const result = await generate(model, prompt, {
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.topK !== undefined ? { topK: request.topK } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        signal,
        onToken: (id, index) => {
          // Not awaited: a round trip per token would stall generation on the main thread.
          void onToken?.({ id, index, text: decoder.push(id) });
        },
      });
      return {
        promptTokens: prompt.length,
        tokens: result.tokens,
        text: tokenizer.decode(result.tokens, { skipSpecialTokens: true }),
        stopReason: result.stopReason,
        ms: Math.round(performance.now() - started),
      };
    });
  }

  private async buildInner(
    recipe: VectorRecipe,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<VectorInfo> {
    const model = this.requireModel();
    const r = VectorRecipeSchema.safeParse(recipe);
    if (!r.success) throw new SpecValidationError('The vector recipe', r.error.issues);
    const { info } = await this.vectors.build(model, r.data, onProgress && ((p) => void onProgress(p)));
    return info;
  }

  private async rowsInner(request: RowsRequest, onToken?: (t: RowTokenEvent) => void): Promise<RowsOutcome> {
    return this.job(async (model, signal) => {
      const tokenizer = needTokenizer(model);
      checkSettings(request);
      if (request.rows.length < 1 || request.rows.length > 4)
        throw new RudderError('bad-settings', 'Ask for one to four rows.');
      const rows = request.rows.map((r) => parseInterventions(r));
      const used = new Set(rows.flat().flatMap((iv) => ('vector' in iv ? [iv.vector] : [])));
      const vectors: Record<string, SteeringVector> = {};
      for (const name of used) {
        const recipe = request.vectors[name];
        if (!recipe) continue; // compile names the missing vector
        const r = VectorRecipeSchema.safeParse(recipe);
        if (!r.success) throw new SpecValidationError(`The recipe of vector “${name}”`, r.error.issues);
        vectors[name] = (await this.vectors.build(model, r.data)).vector;
        if (signal.aborted) throw new CancelledError();
      }
      const prompt = encodePrompt(model, request);
      const compiled: CompiledInterventions[] = [];
      try {
        for (const r of rows) compiled.push(compile(r, { model, vectors }));
        const decoders = rows.map(() => tokenizer.createStreamDecoder({ skipSpecialTokens: true }));
        const started = performance.now();
        const { results, batched } = await generateRows(model, prompt, compiled, {
          maxTokens: request.maxTokens,
          temperature: request.temperature,
          ...(request.topP !== undefined ? { topP: request.topP } : {}),
          ...(request.topK !== undefined ? { topK: request.topK } : {}),
          seed: request.seed ?? Math.floor(Math.random() * 2 ** 32),
          signal,
          onToken: (row, id, index) => void onToken?.({ row, id, index, text: decoders[row]!.push(id) }),
        });
        return {
          promptTokens: prompt.length,
          rows: results.map((res) => ({
            tokens: res.tokens,
            text: tokenizer.decode(res.tokens, { skipSpecialTokens: true }),
            stopReason: res.stopReason,
          })),
          ms: Math.round(performance.now() - started),
          batched,
        };
      } finally {
        for (const c of compiled) c.dispose();
      }
    });
  }

  /**
   * Runs a generation in the one job slot: aborts the running one, waits for it to let go of the
   * model, then runs `fn` with the current model and this job's abort signal.
   */
  private async job<T>(fn: (model: Model, signal: AbortSignal) => Promise<T>): Promise<T> {
    this.genCtl?.abort();
    const ctl = new AbortController();
    this.genCtl = ctl;
    const previous = this.genDone;
    let release!: () => void;
    this.genDone = new Promise((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      if (ctl.signal.aborted) throw new CancelledError();
      return await fn(this.requireModel(), ctl.signal);
    } finally {
      if (this.genCtl === ctl) this.genCtl = undefined;
      release();
    }
  }

  private requireModel(): Model {
    if (!this.model)
      throw new RudderError('no-model', 'No model is loaded yet: choose a model and wait for it to load.');
    return this.model;
  }
}

function needTokenizer(model: Model): RudderTokenizer {
  if (!model.tokenizer) {
    throw new RudderError(
      'no-tokenizer',
      `${model.id} has no tokenizer.json, so it cannot turn text into tokens. Load a model folder that includes its tokenizer files.`,
    );
  }
  return model.tokenizer;
}

function encodePrompt(model: Model, request: GenerateRequest): number[] {
  const tokenizer = needTokenizer(model);
  const prompt = request.chat
    ? tokenizer.encode(
        tokenizer.applyChatTemplate([{ role: 'user', content: request.prompt }], {
          addGenerationPrompt: true,
        }),
        { addSpecialTokens: false },
      )
    : tokenizer.encode(request.prompt);
  // An empty prompt starts from BOS (Llama) or the end-of-text token (GPT-2's convention).
  const start = tokenizer.bosTokenId ?? tokenizer.eosTokenIds[0];
  if (prompt.length === 0 && start !== undefined) prompt.push(start);
  if (prompt.length === 0) throw new RudderError('empty-prompt', 'Write a prompt first.');
  return prompt;
}

function checkSettings(r: GenerateRequest): void {
  const bad = (what: string) => new RudderError('bad-settings', what);
  if (!Number.isInteger(r.maxTokens) || r.maxTokens < 1 || r.maxTokens > 4096)
    throw bad(`Max tokens must be a whole number from 1 to 4096 (got ${r.maxTokens}).`);
  if (!(r.temperature >= 0 && r.temperature <= 10))
    throw bad(`Temperature must be between 0 and 10 (got ${r.temperature}).`);
  if (r.topP !== undefined && !(r.topP > 0 && r.topP <= 1))
    throw bad(`Top-p must be above 0 and at most 1 (got ${r.topP}).`);
  if (r.seed !== undefined && !(Number.isInteger(r.seed) && r.seed >= 0 && r.seed < 2 ** 32))
    throw bad(`The seed must be a whole number from 0 to 4294967295 (got ${r.seed}).`);
}

async function describeBackend(choice: BackendChoice): Promise<BackendInfo> {
  if (choice.name !== 'wasm') return { name: choice.name, reason: choice.reason };
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const threads = wasm.getThreadsCount();
  const why =
    threads > 1
      ? ` Multi-threaded build: ${threads} threads.`
      : self.crossOriginIsolated
        ? ' One thread.'
        : ' One thread (the page is not cross-origin isolated, so the threaded build cannot run).';
  return { name: choice.name, reason: choice.reason + why, threads };
}

/** Forwards at most one progress event per file per interval, and always the first and last. */
function thinned(onProgress: (p: LoadProgress) => void): (p: LoadProgress) => void {
  const last = new Map<string, number>();
  return (p) => {
    const now = performance.now();
    const done = p.total !== undefined && p.loaded >= p.total;
    const prev = last.get(p.file);
    if (prev !== undefined && !done && now - prev < PROGRESS_INTERVAL_MS) return;
    last.set(p.file, now);
    void onProgress({ file: p.file, loaded: p.loaded, total: p.total });
  };
}
