/**
 * What the main thread may ask of the worker that owns the model. Every argument and result is
 * plain, structured-cloneable data; callbacks cross as Comlink proxies. Failures reject with a
 * `WorkerError` ({ code, message }), where `code` is the engine's RudderError code.
 */
import type { BackendName, ModelSpec, StopReason } from '../engine';
import type { Intervention, VectorRecipe } from '../interp';

export type { BackendName, Intervention, StopReason, VectorRecipe };

/** Where a model comes from. */
export type ModelRequest =
  /**
   * A folder under a URL (`/models/organism-llama`, or any server that allows CORS). Relative
   * URLs are the page's; `id` is the name shown for the model (default: `url` as given).
   */
  | { readonly kind: 'url'; readonly url: string; readonly id?: string }
  /** A Hugging Face Hub repo; `endpoint` points tests at a local Hub-shaped server. */
  | { readonly kind: 'hub'; readonly repo: string; readonly revision?: string; readonly endpoint?: string }
  /**
   * A dropped or chosen folder. `paths` carries each file's path inside the folder
   * (`webkitRelativePath`), which structured cloning drops from the Files themselves.
   */
  | { readonly kind: 'files'; readonly files: readonly File[]; readonly paths?: readonly string[] };

export interface LoadRequest {
  readonly model: ModelRequest;
  /**
   * Use this backend if it can start (`?backend=wasm`). The backend is chosen on the first load
   * and kept for the worker's life: tensors cannot be shared across backends.
   */
  readonly backend?: BackendName;
}

export interface LoadProgress {
  readonly file: string;
  readonly loaded: number;
  /** Undefined when the server did not announce a size. */
  readonly total: number | undefined;
}

export interface BackendInfo {
  readonly name: BackendName;
  readonly reason: string;
  /** WebAssembly only: the threads XNNPACK uses (1 without cross-origin isolation). */
  readonly threads?: number;
}

export interface LoadedModel {
  /** The source's id (`hub:owner/name@main`, a URL, `files:folder`). */
  readonly id: string;
  readonly spec: ModelSpec;
  readonly parameters: number;
  readonly hasTokenizer: boolean;
  readonly hasChatTemplate: boolean;
  readonly backend: BackendInfo;
  readonly loadMs: number;
}

export interface GenerateRequest {
  readonly prompt: string;
  /** Wrap the prompt as one user turn in the model's chat template. */
  readonly chat?: boolean;
  readonly maxTokens: number;
  readonly temperature: number;
  readonly topP?: number;
  readonly topK?: number;
  /** Same seed, same text. Random when omitted. */
  readonly seed?: number;
}

export interface TokenEvent {
  readonly id: number;
  /** The text this token completes (may be '' while a multi-byte character is incomplete). */
  readonly text: string;
  readonly index: number;
}

export interface GenerateOutcome {
  readonly promptTokens: number;
  readonly tokens: readonly number[];
  readonly text: string;
  /** 'cancelled' covers both Stop and a newer generate taking over. */
  readonly stopReason: StopReason;
  readonly ms: number;
}

export interface BuildProgress {
  /** Prompts read so far, of `total` (each pair is two prompts). */
  readonly done: number;
  readonly total: number;
}

/** What the layer strip shows for one layer, from the pairs' activations there. */
export interface LayerStat {
  readonly layer: number;
  /**
   * How consistently the pairs differ in one direction: the mean cosine between each pair's
   * difference and the mean difference of the others (1: all agree; about 0: noise). Null with
   * a single pair.
   */
  readonly separation: number | null;
  /** Mean norm of the activations read (at the recipe's hook and position). */
  readonly residualNorm: number;
  /** Norm of the mean difference (the CAA vector) at this layer. */
  readonly meanDiffNorm: number;
}

/** A built vector as the page sees it: numbers to choose a strength by, never the vector itself. */
export interface VectorInfo {
  /** Identifies the vector in the worker's cache (the recipe, canonicalised). */
  readonly key: string;
  readonly hook: string;
  readonly layers: readonly number[];
  /** The vector's norm at each of its layers (same order as `layers`). */
  readonly norms: readonly number[];
  /** The activations' mean norm at each of its layers. */
  readonly residualNorms: readonly number[];
  /** Every layer of the model, for the layer strip. */
  readonly perLayer: readonly LayerStat[];
  readonly pairs: number;
  readonly ms: number;
  /** True when nothing had to run (the vector was cached). */
  readonly cached: boolean;
}

/**
 * Continuations of one prompt side by side, all from the same seed: row i applies
 * `rows[i]` (an empty list is the baseline). Vectors the interventions name are given by
 * recipe and built, or taken from the cache, before the first token.
 */
export interface RowsRequest extends GenerateRequest {
  readonly vectors: Readonly<Record<string, VectorRecipe>>;
  readonly rows: readonly (readonly Intervention[])[];
}

export interface RowTokenEvent extends TokenEvent {
  readonly row: number;
}

export interface RowOutcome {
  readonly tokens: readonly number[];
  readonly text: string;
  readonly stopReason: StopReason;
}

export interface RowsOutcome {
  readonly promptTokens: number;
  readonly rows: readonly RowOutcome[];
  readonly ms: number;
  /** Whether the rows ran as one batch (greedy) or as interleaved single-row generations. */
  readonly batched: boolean;
}

export interface WorkerError {
  readonly code: string;
  readonly message: string;
}

export interface RudderWorker {
  /**
   * Loads a model and makes it current. A newer load cancels an older one; a failed load keeps
   * the previous model current and usable.
   */
  load(request: LoadRequest, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  /** Streams tokens through `onToken`; a newer generate cancels this one between tokens. */
  generate(request: GenerateRequest, onToken?: (t: TokenEvent) => void): Promise<GenerateOutcome>;
  /**
   * Builds the vector a recipe describes on the current model (cached: the same recipe again, or
   * one that differs only in layers or method, reads no activations). A newer buildVector makes
   * an older one that is still reading stop with code 'cancelled'.
   */
  buildVector(recipe: VectorRecipe, onProgress?: (p: BuildProgress) => void): Promise<VectorInfo>;
  /**
   * Generates the rows side by side, streaming each token with its row. Shares the job slot with
   * `generate`: either cancels a running one of both.
   */
  generateRows(request: RowsRequest, onToken?: (t: RowTokenEvent) => void): Promise<RowsOutcome>;
  /** Stops the running generation (it resolves with stopReason 'cancelled'). */
  cancel(): void;
  /** Frees the current model. */
  dispose(): void;
}
