/**
 * What the main thread may ask of the worker that owns the model. Every argument and result is
 * plain, structured-cloneable data; callbacks cross as Comlink proxies. Failures reject with a
 * `WorkerError` ({ code, message }), where `code` is the engine's RudderError code.
 */
import type { BackendName, ModelSpec, StopReason } from '../engine';

export type { BackendName, StopReason };

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
  /** Stops the running generation (it resolves with stopReason 'cancelled'). */
  cancel(): void;
  /** Frees the current model. */
  dispose(): void;
}
