/** The steering loop's vector: built from the Experiment's pairs (or imported), its lens, its files. */

import type { ExperimentInput, InlineVector } from '../../experiment';
import type { LayerStat, PlaneModule, VectorFileFormat } from '../../interp';
import type { MethodTable } from './table';

/** A request about the steering loop's vector: the one the experiment's pairs (or import) describe. */
export interface VectorRequest {
  readonly experiment: ExperimentInput;
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
  /**
   * The typical activation norm at each of its layers (METHODS.md §19): the unit of a strength
   * in norm units. Absent only from the store's own info, before the host adds it.
   */
  readonly typicalNorms?: readonly number[];
  /** Every layer of the model, for the layer strip. */
  readonly perLayer: readonly LayerStat[];
  readonly pairs: number;
  readonly ms: number;
  /** True when nothing had to run (the vector was cached). */
  readonly cached: boolean;
  /** What the page should tell the person about the vector's scale (imported vectors). */
  readonly warnings?: readonly string[];
}

/** The vector file formats: Rudder JSON, safetensors, llama.cpp control-vector GGUF. */
export type { VectorFileFormat };

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

/** The rotate operator's plane as the layer strip shows it: the norm outputs it rotates. */
export interface PlaneInfo {
  readonly modules: readonly PlaneModule[];
  /** Whether only the modules where the pairs' projections separate were kept. */
  readonly discriminative: boolean;
}

export interface VectorMethods {
  /**
   * Builds the loop's vector on the current model (cached: the same pairs again, or another layer
   * or method, read no activations). A newer build that must read other pairs makes an older one
   * still reading stop with code 'cancelled'. Rejects with 'no-vector' when there is none to build.
   */
  buildVector(request: VectorRequest, onProgress?: (p: BuildProgress) => void): Promise<VectorInfo>;
  /** The tokens the loop's vector promotes and suppresses (built or taken from the cache first). */
  vectorLens(request: VectorRequest & { readonly k?: number }): Promise<VectorLensInfo>;
  /** The loop's vector as a file. GGUF needs a resid_pre (layer ≥ 1) or resid_post vector. */
  exportVector(request: VectorRequest & { readonly format: VectorFileFormat }): Promise<VectorFile>;
  /**
   * Reads a vector file (format sniffed from its bytes) and checks it fits the current model;
   * rejects with a message naming the file otherwise ('weights-format', 'incompatible-vector').
   */
  importVector(bytes: Uint8Array, fileName: string): Promise<InlineVector>;
  /** The rotate operator's plane from the loop's pairs (built or cached); 'no-plane' without one. */
  steeringPlane(request: VectorRequest): Promise<PlaneInfo>;
}

export const VECTOR_METHODS: MethodTable<VectorMethods> = {
  buildVector: 'callback',
  vectorLens: 'plain',
  exportVector: 'plain',
  importVector: 'plain',
  steeringPlane: 'plain',
};
