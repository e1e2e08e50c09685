/** The model the worker holds: loading it (with progress), stopping a generation, letting it go. */

import type { BackendName, ModelSpec, WeightPrecision } from '../../engine';
import type { MethodTable } from './table';

/** Where a model comes from. */
export type ModelRequest =
  /**
   * A folder under a URL (`/models/organism-llama`, or any server that allows CORS). Relative
   * URLs are the page's; `id` is the name shown for the model (default: `url` as given).
   */
  | {
      readonly kind: 'url';
      readonly url: string;
      readonly id?: string;
      /** Content version of the folder (shipped models): files are fetched and cached per version. */
      readonly version?: string;
    }
  /**
   * A Hugging Face Hub repo; `endpoint` points tests at a local Hub-shaped server. `token` (a Hub
   * access token, for gated or private repos) is sent as `Authorization: Bearer` and kept nowhere.
   */
  | {
      readonly kind: 'hub';
      readonly repo: string;
      readonly revision?: string;
      readonly endpoint?: string;
      readonly token?: string;
    }
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
  /**
   * WebAssembly threads (`?threads=N`, 1 to 8) instead of the default (wasmThreadCount: two on a
   * two-core machine). Read with the backend, on the first load.
   */
  readonly threads?: number;
  /** Round the model's matrices to bfloat16 as it loads (the engine's WeightPrecision). */
  readonly precision?: WeightPrecision;
}

/** A load's events: each file's download progress, and once, before any weight, the estimate. */
export type LoadEvent = LoadProgress | { readonly kind: 'estimate'; readonly estimate: LoadEstimate };

export interface LoadProgress {
  readonly kind: 'file';
  readonly file: string;
  readonly loaded: number;
  /** Undefined when the server did not announce a size. */
  readonly total: number | undefined;
}

/**
 * What the model will hold once loaded, from its config.json (the engine's estimateMemory), told
 * before the weights download. A model that does not fit is refused instead (a TooLargeError
 * with these figures), so an estimate that arrives fits.
 */
export interface LoadEstimate {
  readonly parameters: number;
  /** The weights as the engine will hold them (float32, or the matrices in 16 bits: `halfMatrices`). */
  readonly weightBytes: number;
  readonly halfMatrices: boolean;
  /** Weights, KV cache and activations at `contextTokens`. */
  readonly totalBytes: number;
  readonly contextTokens: number;
  readonly backend: BackendName;
  /** The most this backend can hold in this tab. */
  readonly maxTotalBytes: number;
}

export interface BackendInfo {
  readonly name: BackendName;
  /** One or two sentences: why this backend (and, on WebAssembly, its threads). */
  readonly reason: string;
  /** Why each faster backend was passed over, for the page's "why" detail. */
  readonly passedOver?: readonly string[];
  /** A GPU backend running in software (SwiftShader): the page warns and offers WebAssembly. */
  readonly software?: string;
  /** WebAssembly only: the threads sharing Rudder's kernels (1 without cross-origin isolation). */
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
  /** What its matrices were rounded to as it loaded, if anything. */
  readonly precision: WeightPrecision | undefined;
  /** What its weights take on the device (16-bit panels count 2 bytes a value). */
  readonly weightBytes: number;
}

/** What loading a model will cost, known before its weights are read (config.json, the index). */
export interface ModelCost {
  readonly id: string;
  readonly parameters: number;
  /** The checkpoint's size: the index's total_size, else parameters × the config's dtype size. */
  readonly downloadBytes: number;
  /** What the engine will hold once loaded (weights, KV cache, activations). */
  readonly memoryBytes: number;
  /** Whether the weights count their matrices in 16 bits (LoadEstimate's `halfMatrices`). */
  readonly halfMatrices: boolean;
}

export interface ModelMethods {
  /**
   * Loads a model and makes it current. A newer load cancels an older one; a failed load keeps
   * the previous model current and usable.
   */
  load(request: LoadRequest, onEvent?: (e: LoadEvent) => void): Promise<LoadedModel>;
  /**
   * What loading this model (at the request's precision) would download and hold; reads only its
   * small JSON files.
   */
  estimate(request: LoadRequest): Promise<ModelCost>;
  /** Stops the running generation (it resolves with stopReason 'cancelled'). */
  cancel(): void;
  /** Frees the current model once no job uses it. */
  dispose(): void;
}

export const MODEL_METHODS: MethodTable<ModelMethods> = {
  load: 'callback',
  estimate: 'plain',
  cancel: 'plain',
  dispose: 'plain',
};
