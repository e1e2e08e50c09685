import type { HostTensor, ModelSpec } from '../spec';
import type { ConversionPlan } from './convert';

/**
 * A lazy view of a checkpoint: the tensor names it holds, and a way to read one tensor as
 * float32. Families read each tensor once, so a 100M-parameter checkpoint never has to sit in
 * memory twice (original and converted) as a whole.
 */
export interface CheckpointReader {
  readonly names: readonly string[];
  read(name: string): HostTensor;
}

/** A model family: config.json → spec, and the plan that turns Hugging Face weights into canonical ones. */
export interface Family {
  specFromHf(json: unknown): ModelSpec;
  plan(spec: ModelSpec): ConversionPlan;
}
