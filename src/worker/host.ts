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
  selectBackend,
} from '../engine';
import type {
  BackendInfo,
  GenerateOutcome,
  GenerateRequest,
  LoadedModel,
  LoadProgress,
  LoadRequest,
  RudderWorker,
  TokenEvent,
} from './api';
import { toWorkerError } from './errors';
import { sourceFor } from './sources';
import { withWasmThreads } from './threads';

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
      const model = this.model;
      if (!model)
        throw new RudderError('no-model', 'No model is loaded yet: choose a model and wait for it to load.');
      const tokenizer = model.tokenizer;
      if (!tokenizer) {
        throw new RudderError(
          'no-tokenizer',
          `${model.id} has no tokenizer.json, so it cannot turn text into tokens. Load a model folder that includes its tokenizer files.`,
        );
      }
      checkSettings(request);
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

      const decoder = tokenizer.createStreamDecoder({ skipSpecialTokens: true });
      const started = performance.now();
      const result = await generate(model, prompt, {
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        ...(request.topP !== undefined ? { topP: request.topP } : {}),
        ...(request.topK !== undefined ? { topK: request.topK } : {}),
        ...(request.seed !== undefined ? { seed: request.seed } : {}),
        signal: ctl.signal,
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
    } finally {
      if (this.genCtl === ctl) this.genCtl = undefined;
      release();
    }
  }
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
