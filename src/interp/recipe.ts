/**
 * Recipes: how a vector, plane or unit selection was built, as plain data, so that a link can
 * rebuild it on open instead of carrying the numbers. `src/experiment/interventions.ts` holds the
 * zod schemas that validate these at every boundary; a type-level test keeps the two in step.
 */
import type { Position } from './activations';

/** A prompt as text, or as token ids for a model without a tokenizer. */
export type PromptInput = string | number[];

export interface ContrastPair {
  positive: PromptInput;
  negative: PromptInput;
}

/** Block points a vector can be read at and added to (all of them [batch, pos, width]). */
export const VECTOR_HOOKS = [
  'resid_pre',
  'resid_mid',
  'resid_post',
  'attn_out',
  'mlp_out',
  'ln1_normalized',
  'ln2_normalized',
  'mlp_post',
] as const;
export type VectorHook = (typeof VECTOR_HOOKS)[number];

/**
 * mean: CAA's mean difference. pca_diff / pca_center: repeng (PC1 of the pair differences, or of
 * the pair-centred activations, with the majority sign rule). pca: the steering-vectors
 * aggregator (uncentred SVD of [Δ; −Δ], sign of the mean difference). logistic: logistic
 * regression on pair-centred activations, no intercept.
 */
export const VECTOR_METHODS = ['mean', 'pca_diff', 'pca_center', 'pca', 'logistic'] as const;
export type VectorMethod = (typeof VECTOR_METHODS)[number];

export type VectorRecipe =
  | {
      from: 'contrast';
      model: string;
      pairs: ContrastPair[];
      hook: VectorHook;
      layers: number[];
      position: Position;
      method: VectorMethod;
      /** Wrap each prompt in the model's chat template as a user turn. */
      chat?: boolean;
    }
  | {
      from: 'actadd';
      model: string;
      positive: PromptInput;
      negative: PromptInput;
      layer: number;
    }
  | {
      from: 'refusal';
      model: string;
      harmful: PromptInput[];
      harmless: PromptInput[];
      /** Post-instruction position, negative from the end of the templated prompt. */
      position: number;
      layer: number;
    }
  | {
      from: 'import';
      /** The file format it came from, and what the file said about its model. */
      format: 'json' | 'safetensors' | 'gguf';
      modelHint?: string;
    };

export interface PlaneRecipe {
  from: 'plane';
  model: string;
  positive: PromptInput[];
  negative: PromptInput[];
  /** Keep only the modules where the two sides project with opposite signs (§6). */
  discriminative: boolean;
}

/** Where an atomic unit lives: one dimension of z (attention), of mlp_out, or of the block output. */
export const UNIT_POINTS = ['z', 'mlp_out', 'resid_post'] as const;
export type UnitPoint = (typeof UNIT_POINTS)[number];

export interface UnitsRecipe {
  from: 'units';
  model: string;
  pairs: ContrastPair[];
  point: UnitPoint;
  position: Position;
  k: number;
}
