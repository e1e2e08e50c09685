import type { HostTensor, ModelSpec } from '../spec';

/**
 * A lazy view of a checkpoint: the tensor names it holds, and a way to read one tensor as
 * float32. Families read each tensor once, so a 100M-parameter checkpoint never has to sit in
 * memory twice (original and converted) as a whole.
 */
export interface CheckpointReader {
  readonly names: readonly string[];
  read(name: string): HostTensor;
}

/** A model family: config.json → spec, and Hugging Face weights → canonical weights. */
export interface Family {
  specFromHf(json: unknown): ModelSpec;
  toCanonical(spec: ModelSpec, checkpoint: CheckpointReader): Map<string, HostTensor>;
}
