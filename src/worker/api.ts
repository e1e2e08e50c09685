/**
 * What the main thread may ask of the worker that owns the model. Every argument and result is
 * plain, structured-cloneable data; callbacks cross as Comlink proxies. Failures reject with a
 * `WorkerError` ({ code, message }), where `code` is the engine's RudderError code.
 */
import type { BackendName, ModelSpec, StopReason } from '../engine';
import type { InlineVector, VectorSource } from '../experiment';
import type {
  CandidateScore,
  Intervention,
  LayerStat,
  PlaneRecipe,
  RefusalCircuit,
  RefusalDrop,
  RefusalFound,
  RefusalProfile,
  RefusalProgress,
  RefusalSetCounts,
  RefusalSets,
  UnitsRecipe,
  VectorRecipe,
} from '../interp';

export type {
  BackendName,
  CandidateScore as RefusalCandidateScore,
  InlineVector,
  Intervention,
  LayerStat,
  PlaneRecipe,
  RefusalCircuit,
  RefusalDrop,
  RefusalFound,
  RefusalProfile,
  RefusalProgress,
  RefusalSetCounts,
  RefusalSets,
  StopReason,
  UnitsRecipe,
  VectorRecipe,
  VectorSource,
};

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
  /** By recipe, or inline (an imported vector). */
  readonly vectors: Readonly<Record<string, VectorSource>>;
  /** Planes that rotate interventions name, by recipe (angular steering). */
  readonly planes?: Readonly<Record<string, PlaneRecipe>>;
  /** Unit selections that units interventions name, by recipe (AUSteer). */
  readonly units?: Readonly<Record<string, UnitsRecipe>>;
  readonly rows: readonly (readonly Intervention[])[];
}

/** The vector file formats: Rudder JSON, safetensors, llama.cpp control-vector GGUF. */
export type VectorFileFormat = 'json' | 'safetensors' | 'gguf';

export interface VectorFile {
  readonly bytes: Uint8Array;
  readonly fileName: string;
  readonly mime: string;
}

export interface LensToken {
  readonly id: number;
  /** The token as the vocabulary spells it. */
  readonly text: string;
  /** Logit change per unit of the vector (through the final norm's gain and the unembedding). */
  readonly logit: number;
}

/** The lens of a vector's direction at its first layer. */
export interface VectorLensInfo {
  readonly layer: number;
  readonly hook: string;
  /** Most raised first. */
  readonly promoted: readonly LensToken[];
  /** Most lowered first. */
  readonly suppressed: readonly LensToken[];
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

export type LensKind = 'logit' | 'tuned';

/**
 * The lens of one prompt at every layer and position, for the baseline and, when `steered` is
 * given, for the run with those interventions (the steered generation row's). Vectors they name
 * are built from `vectors` (or taken from the cache) first.
 */
export interface LensRequest extends Pick<RowsRequest, 'planes' | 'units'> {
  readonly prompt: string;
  /** Wrap the prompt as one user turn in the model's chat template. */
  readonly chat?: boolean;
  /** The tuned lens falls back to the logit lens where the model has none. */
  readonly kind: LensKind;
  /** Top tokens per cell (1 to 20). Default 5. */
  readonly k?: number;
  /** Token ids whose probability and rank are reported at every layer and position. */
  readonly track?: readonly number[];
  readonly vectors?: Readonly<Record<string, VectorSource>>;
  readonly steered?: readonly Intervention[];
}

export interface LensRowInfo {
  /** 'embed', 'post 3'. */
  readonly label: string;
  readonly layer: number;
  readonly point: 'embed' | 'resid_mid' | 'resid_post';
}

/** One lens grid; arrays are row-major over [rows, positions, …]; the last row is the model's own. */
export interface LensGrid {
  /** [rows, positions, k], most likely first. */
  readonly topIds: Int32Array;
  readonly topProbs: Float32Array;
  /** [rows, positions], nats. */
  readonly entropy: Float32Array;
  /** KL(final ‖ lens) [rows, positions], nats (0 on the last row). */
  readonly kl: Float32Array;
  /** [rows, positions, tracked]. */
  readonly trackedProbs: Float32Array;
  /** [rows, positions, tracked]: tokens more likely than it (0 = the top token). */
  readonly trackedRanks: Int32Array;
}

export interface LensOutcome {
  /** The lens that ran ('logit' where a tuned one was asked for but the model has none). */
  readonly kind: LensKind;
  readonly tunedAvailable: boolean;
  /** Why the tuned lens beside the model could not be used (it does not fit the model). */
  readonly tunedError?: string;
  /** The prompt's token ids (positions). */
  readonly tokens: readonly number[];
  readonly rows: readonly LensRowInfo[];
  readonly k: number;
  readonly tracked: readonly number[];
  readonly baseline: LensGrid;
  /** Absent when the request had no `steered` interventions. */
  readonly steered?: LensGrid;
  /** Readable text of every token id above (prompt, cells, tracked). */
  readonly texts: Readonly<Record<number, string>>;
  readonly ms: number;
}

/** Refusal requests: sets left out mean the model's own (`datasets/harmful.json`, `harmless.json`). */
export interface RefusalSetsRequest {
  readonly harmful?: readonly string[];
  readonly harmless?: readonly string[];
}

export interface RefusalProfileRequest {
  readonly prompt: string;
  readonly chat: boolean;
  /** The direction: a refusal recipe (its build prompts are the references). */
  readonly vector: Extract<VectorRecipe, { from: 'refusal' }>;
}

export interface RefusalCircuitResult {
  readonly circuit: RefusalCircuit;
  readonly refuseTokens: readonly string[];
  readonly complyTokens: readonly string[];
  readonly nLayers: number;
  readonly nHeads: number;
  readonly prompts: number;
  readonly ms: number;
}

/** What colours the head grid: see `HeadScores` for each measure's meaning. */
export type HeadMeasure = 'dla' | 'patch' | 'entropy';

export interface HeadScoresRequest {
  readonly prompt: string;
  readonly chat?: boolean;
  readonly measure: HeadMeasure;
  /** dla: the logit difference logit(target) − logit(baseline). Default: the top two next tokens. */
  readonly tokens?: { readonly target: number; readonly baseline: number };
  /**
   * patch: the counterpart prompt the current prompt's head outputs are patched into. Default: a
   * request from the model's shipped sets, harmless when the prompt is refused, harmful otherwise.
   */
  readonly counterpart?: string;
}

export interface NextToken {
  readonly id: number;
  readonly text: string;
  readonly prob: number;
}

/**
 * One number per head for the prompt, `values[layer * nHeads + head]`:
 * - dla: the head's direct contribution to logit(target) − logit(baseline) at the last position;
 * - patch: the change of the counterpart's refusal score (log-odds) when the head's output at the
 *   last position is copied in from the current prompt;
 * - entropy: the entropy (nats) of the head's attention from the last position.
 */
export interface HeadScores {
  readonly measure: HeadMeasure;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly values: readonly number[];
  /** The prompt's tokens as text, one per position. */
  readonly tokens: readonly string[];
  /** dla: the model's most likely next tokens after the prompt (to pick the difference from); else empty. */
  readonly next: readonly NextToken[];
  readonly dla?: {
    readonly target: NextToken;
    readonly baseline: NextToken;
    readonly logitDiff: number;
  };
  readonly patch?: {
    readonly counterpart: string;
    /** Where the counterpart came from. */
    readonly from: 'harmless' | 'harmful' | 'given';
    /** Refusal scores (log-odds) of the current prompt and of its counterpart. */
    readonly clean: number;
    readonly corrupt: number;
  };
  readonly ms: number;
}

export interface AttentionPatternRequest {
  readonly prompt: string;
  readonly chat?: boolean;
  readonly layer: number;
  readonly head: number;
}

export interface AttentionPattern {
  readonly layer: number;
  readonly head: number;
  readonly tokens: readonly string[];
  /** [query position][key position]: attention weights, each row sums to 1. */
  readonly weights: readonly (readonly number[])[];
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
  buildVector(recipe: VectorSource, onProgress?: (p: BuildProgress) => void): Promise<VectorInfo>;
  /** The tokens a vector promotes and suppresses (built or taken from the cache first). */
  vectorLens(source: VectorSource, k?: number): Promise<VectorLensInfo>;
  /** A vector as a file. GGUF needs a resid_pre (layer ≥ 1) or resid_post vector. */
  exportVector(source: VectorSource, format: VectorFileFormat): Promise<VectorFile>;
  /**
   * Reads a vector file (format sniffed from its bytes) and checks it fits the current model;
   * rejects with a message naming the file otherwise ('weights-format', 'incompatible-vector').
   */
  importVector(bytes: Uint8Array, fileName: string): Promise<InlineVector>;
  /**
   * Generates the rows side by side, streaming each token with its row. Shares the job slot with
   * `generate`: either cancels a running one of both.
   */
  generateRows(request: RowsRequest, onToken?: (t: RowTokenEvent) => void): Promise<RowsOutcome>;
  /**
   * The lens grids of a prompt. Runs beside generation (its own job slot); a newer lens request
   * makes an older one reject with code 'cancelled'.
   */
  lens(request: LensRequest): Promise<LensOutcome>;
  /** The model's own harmful and harmless sets (empty when its folder ships none). */
  refusalSets(): Promise<RefusalSets>;
  /**
   * METHODS.md §5 end to end: filter, candidates, every candidate scored, the choice. A newer call
   * makes an older one stop with code 'cancelled'.
   */
  findRefusalDirection(
    request: RefusalSetsRequest,
    onProgress?: (p: RefusalProgress) => void,
  ): Promise<RefusalFound>;
  /** Per-layer projection of a prompt onto a refusal direction, against its references. */
  refusalProfile(request: RefusalProfileRequest): Promise<RefusalProfile>;
  /** The refusal circuit (METHODS.md §9) on the sets given (default the model's own). */
  refusalCircuit(
    request: RefusalSetsRequest,
    onProgress?: (p: { readonly stage: string; readonly done: number; readonly total: number }) => void,
  ): Promise<RefusalCircuitResult>;
  /**
   * Per-head scores of a prompt for the head grid. Runs beside generation; a newer headScores
   * makes an older one reject with code 'cancelled'.
   */
  headScores(request: HeadScoresRequest): Promise<HeadScores>;
  /** One head's attention pattern over the prompt (cached per prompt: hovering is cheap). */
  attentionPattern(request: AttentionPatternRequest): Promise<AttentionPattern>;
  /** Stops the running generation (it resolves with stopReason 'cancelled'). */
  cancel(): void;
  /** Frees the current model. */
  dispose(): void;
}
