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
import {
  type InlineVector,
  PlaneRecipeSchema,
  parseInterventions,
  SpecValidationError,
  UnitsRecipeSchema,
  VectorRecipeSchema,
  type VectorSource,
  VectorSourceSchema,
} from '../experiment';
import {
  type CompiledInterventions,
  compile,
  encodeInput,
  type Intervention,
  type SteeringPlane,
  type SteeringVector,
  type UnitSelection,
} from '../interp';
import type {
  AttentionPattern,
  AttentionPatternRequest,
  BackendInfo,
  BuildProgress,
  GenerateOutcome,
  GenerateRequest,
  HeadScores,
  HeadScoresRequest,
  LensOutcome,
  LensRequest,
  LoadedModel,
  LoadProgress,
  LoadRequest,
  RefusalCircuitResult,
  RefusalFound,
  RefusalProfile,
  RefusalProfileRequest,
  RefusalProgress,
  RefusalSets,
  RefusalSetsRequest,
  RowsOutcome,
  RowsRequest,
  RowTokenEvent,
  RudderWorker,
  TokenEvent,
  VectorFile,
  VectorFileFormat,
  VectorInfo,
  VectorLensInfo,
} from './api';
import { toWorkerError } from './errors';
import { HeadsSession } from './heads';
import { LensSession } from './lens';
import { RefusalJobs } from './refusal-jobs';
import { generateRows } from './rows';
import { sourceFor } from './sources';
import { withWasmThreads, workerThreadCount } from './threads';
import { exportVectorFile, importVectorFile, lensOf } from './vector-files';
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
  private lensSession: LensSession | undefined;
  private headsSession: HeadsSession | undefined;
  /** The refusal view's jobs on the current model (refusal-jobs.ts). */
  private refusalJobs: RefusalJobs | undefined;
  private lensCtl: AbortController | undefined;
  /** Settles when the running lens job has let go of the model. */
  private lensDone: Promise<void> = Promise.resolve();

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

  async buildVector(recipe: VectorSource, onProgress?: (p: BuildProgress) => void): Promise<VectorInfo> {
    try {
      return await this.buildInner(recipe, onProgress);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async vectorLens(source: VectorSource, k = 12): Promise<VectorLensInfo> {
    try {
      const model = this.requireModel();
      return await lensOf(model, (await this.vectors.build(model, parseSource(source))).vector, k);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async exportVector(source: VectorSource, format: VectorFileFormat): Promise<VectorFile> {
    try {
      const model = this.requireModel();
      const built = await this.vectors.build(model, parseSource(source));
      return exportVectorFile(model, built.vector, format);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async importVector(bytes: Uint8Array, fileName: string): Promise<InlineVector> {
    try {
      return importVectorFile(this.requireModel(), bytes, fileName);
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

  async lens(request: LensRequest): Promise<LensOutcome> {
    try {
      return await this.lensInner(request);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async headScores(request: HeadScoresRequest): Promise<HeadScores> {
    try {
      const { model, session } = this.requireHeads();
      const encode = (text: string) => encodePrompt(model, { prompt: text, chat: request.chat });
      return await session.scores(encode(request.prompt), request, encode);
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async refusalSets(): Promise<RefusalSets> {
    try {
      return await this.requireRefusal().sets();
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async findRefusalDirection(
    request: RefusalSetsRequest,
    onProgress?: (p: RefusalProgress) => void,
  ): Promise<RefusalFound> {
    try {
      // Not awaited: progress must not wait for a round trip to the page.
      return await this.requireRefusal().find(request, onProgress && ((p) => void onProgress(p)));
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async refusalProfile(request: RefusalProfileRequest): Promise<RefusalProfile> {
    try {
      const r = VectorRecipeSchema.safeParse(request.vector);
      if (!r.success || r.data.from !== 'refusal')
        throw new SpecValidationError('The refusal direction', r.success ? [] : r.error.issues);
      return await this.requireRefusal().profile({ ...request, vector: r.data });
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  async refusalCircuit(
    request: RefusalSetsRequest,
    onProgress?: (p: { readonly stage: string; readonly done: number; readonly total: number }) => void,
  ): Promise<RefusalCircuitResult> {
    try {
      return await this.requireRefusal().circuit(request, onProgress && ((p) => void onProgress(p)));
    } catch (e) {
      throw toWorkerError(e);
    }
  }

  private requireRefusal(): RefusalJobs {
    this.requireModel();
    return this.refusalJobs!;
  }

  async attentionPattern(request: AttentionPatternRequest): Promise<AttentionPattern> {
    try {
      const { model, session } = this.requireHeads();
      return await session.pattern(encodePrompt(model, request), request.layer, request.head);
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
    this.lensCtl?.abort();
    const model = this.model;
    const lens = this.lensSession;
    const heads = this.headsSession;
    heads?.cancel();
    const refusal = this.refusalJobs;
    refusal?.cancel();
    this.refusalJobs = undefined;
    this.headsSession = undefined;
    this.model = undefined;
    this.lensSession = undefined;
    void Promise.all([this.genDone, this.lensDone, heads?.idle(), refusal?.idle()]).then(() => {
      lens?.dispose();
      model?.dispose();
    });
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
    const previousLens = this.lensSession;
    const previousHeads = this.headsSession;
    previousHeads?.cancel();
    this.headsSession = new HeadsSession(model, source);
    this.model = model;
    this.lensSession = new LensSession(model, source);
    const previousRefusal = this.refusalJobs;
    previousRefusal?.cancel();
    this.refusalJobs = new RefusalJobs(model, source);
    this.vectors.clear();
    this.genCtl?.abort();
    this.lensCtl?.abort();
    const drained = Promise.all([
      this.genDone,
      this.lensDone,
      previousHeads?.idle(),
      previousRefusal?.idle(),
    ]);
    void drained.then(() => {
      previousLens?.dispose();
      previous?.dispose();
    });
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
    const choice = await withWasmThreads(
      () =>
        selectBackend({
          ...(request.backend ? { prefer: request.backend } : {}),
          ...(this.opts.wasmPaths ? { wasmPaths: this.opts.wasmPaths } : {}),
        }),
      workerThreadCount(),
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
    recipe: VectorSource,
    onProgress?: (p: BuildProgress) => void,
  ): Promise<VectorInfo> {
    const model = this.requireModel();
    const r = VectorSourceSchema.safeParse(recipe);
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
      const vectors = await this.vectorsFor(model, rows.flat(), request.vectors, signal);
      const extras = await steeringExtrasFor(this.vectors, model, rows.flat(), request);
      const prompt = encodePrompt(model, request);
      const compiled: CompiledInterventions[] = [];
      try {
        const heads = this.headsSession?.model === model ? this.headsSession : undefined;
        const gates = (await heads?.gateContext(rows.flat(), prompt)) ?? {};
        for (const r of rows) compiled.push(compile(r, { model, vectors, ...extras, ...gates }));
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

  private async lensInner(request: LensRequest): Promise<LensOutcome> {
    this.lensCtl?.abort();
    const ctl = new AbortController();
    this.lensCtl = ctl;
    const previous = this.lensDone;
    let release!: () => void;
    this.lensDone = new Promise((resolve) => {
      release = resolve;
    });
    try {
      await previous;
      if (ctl.signal.aborted) throw new CancelledError();
      const model = this.requireModel();
      const session = this.lensSession!;
      needTokenizer(model);
      const steered = request.steered ? parseInterventions(request.steered) : undefined;
      const vectors = await this.vectorsFor(model, steered ?? [], request.vectors ?? {}, ctl.signal);
      const tokens = encodePrompt(model, request);
      // The same compile context as the steered generation row's (rowsInner), so that every
      // intervention the steered side applies applies to the steered lens as well.
      const extras = await steeringExtrasFor(this.vectors, model, steered ?? [], request);
      const heads = this.headsSession?.model === model ? this.headsSession : undefined;
      const gates = (steered && (await heads?.gateContext(steered, tokens))) || {};
      return await session.run({
        tokens,
        kind: request.kind,
        k: request.k ?? 5,
        track: request.track ?? [],
        ...(steered ? { steered } : {}),
        vectors,
        context: { ...extras, ...gates },
        signal: ctl.signal,
      });
    } finally {
      if (this.lensCtl === ctl) this.lensCtl = undefined;
      release();
    }
  }

  /** Builds (or finds cached) the vectors that interventions name, from their recipes. */
  private async vectorsFor(
    model: Model,
    interventions: readonly Intervention[],
    recipes: Readonly<Record<string, VectorSource>>,
    signal: AbortSignal,
  ): Promise<Record<string, SteeringVector>> {
    const used = new Set(interventions.flatMap((iv) => ('vector' in iv ? [iv.vector] : [])));
    const vectors: Record<string, SteeringVector> = {};
    for (const name of used) {
      const recipe = recipes[name];
      if (!recipe) continue; // compile names the missing vector
      const r = VectorSourceSchema.safeParse(recipe);
      if (!r.success) throw new SpecValidationError(`The recipe of vector “${name}”`, r.error.issues);
      vectors[name] = (await this.vectors.build(model, r.data)).vector;
      if (signal.aborted) throw new CancelledError();
    }
    return vectors;
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

  private requireHeads(): { model: Model; session: HeadsSession } {
    const model = this.requireModel();
    return { model, session: this.headsSession! };
  }

  private requireModel(): Model {
    if (!this.model)
      throw new RudderError('no-model', 'No model is loaded yet: choose a model and wait for it to load.');
    return this.model;
  }
}

function parseSource(source: VectorSource): VectorSource {
  const r = VectorSourceSchema.safeParse(source);
  if (!r.success) throw new SpecValidationError('The vector', r.error.issues);
  return r.data;
}

/** The planes and unit selections that rotate and units interventions name, from their recipes. */
async function steeringExtrasFor(
  store: VectorStore,
  model: Model,
  interventions: readonly Intervention[],
  request: Pick<RowsRequest, 'planes' | 'units'>,
): Promise<{ planes: Record<string, SteeringPlane>; units: Record<string, UnitSelection> }> {
  const planes: Record<string, SteeringPlane> = {};
  const units: Record<string, UnitSelection> = {};
  for (const iv of interventions) {
    const plane = iv.kind === 'rotate' ? request.planes?.[iv.plane] : undefined;
    if (iv.kind === 'rotate' && plane && !planes[iv.plane]) {
      const r = PlaneRecipeSchema.safeParse(plane);
      if (!r.success) throw new SpecValidationError(`The plane “${iv.plane}”`, r.error.issues);
      planes[iv.plane] = await store.plane(model, r.data);
    }
    const sel = iv.kind === 'units' ? request.units?.[iv.units] : undefined;
    if (iv.kind === 'units' && sel && !units[iv.units]) {
      const r = UnitsRecipeSchema.safeParse(sel);
      if (!r.success) throw new SpecValidationError(`The units “${iv.units}”`, r.error.issues);
      units[iv.units] = await store.unitSelection(model, r.data);
    }
  }
  return { planes, units };
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

function encodePrompt(model: Model, request: Pick<GenerateRequest, 'prompt' | 'chat'>): number[] {
  needTokenizer(model);
  return encodeInput(model, request.prompt, { chat: request.chat ?? false });
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
