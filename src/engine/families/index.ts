/**
 * Model families: config.json → ModelSpec, and Hugging Face weights → canonical weights.
 * A family is config plus a weight keymap, not a subclass (STYLE.md #4).
 */
import { UnsupportedModelError } from '../errors';
import { type HostTensor, type ModelSpec, type ModelType, SUPPORTED_MODEL_TYPES } from '../spec';
import { asObject, CONFIG_FILE, modelType } from './config';
import { convertCheckpoint } from './convert';
import * as gemma from './gemma';
import * as gptNeox from './gpt-neox';
import * as gpt2 from './gpt2';
import * as llama from './llama';
import * as phi3 from './phi3';
import type { CheckpointReader, Family } from './types';

export { describeSpec, transpose } from './convert';
export type { CheckpointReader, Family } from './types';

const FAMILIES: Record<ModelType, Family> = {
  gpt2,
  llama,
  qwen2: llama,
  mistral: llama,
  gemma,
  gemma2: gemma,
  gpt_neox: gptNeox,
  phi3,
};

const isSupported = (t: string): t is ModelType => (SUPPORTED_MODEL_TYPES as readonly string[]).includes(t);

/** The family that reads a given model_type; throws UnsupportedModelError naming the supported ones. */
export function familyOf(type: string): Family {
  if (!isSupported(type)) {
    throw new UnsupportedModelError(
      `${CONFIG_FILE}: model_type "${type}" is not supported. Supported model types: ${SUPPORTED_MODEL_TYPES.join(', ')}.`,
    );
  }
  return FAMILIES[type];
}

/** Parses a config.json (already JSON-decoded) into the spec the engine runs. */
export function specFromConfig(config: unknown): ModelSpec {
  return familyOf(modelType(asObject(config))).specFromHf(config);
}

/** Converts a checkpoint to canonical names and layouts; throws one ShapeMismatchError listing every problem. */
export function toCanonical(spec: ModelSpec, checkpoint: CheckpointReader): Map<string, HostTensor> {
  return convertCheckpoint(spec, checkpoint, familyOf(spec.modelType).plan(spec));
}

/** The Hugging Face tensor names and shapes a checkpoint of this spec holds (e.g. to write one). */
export function checkpointShapes(spec: ModelSpec): Map<string, readonly number[]> {
  return new Map(
    familyOf(spec.modelType)
      .plan(spec)
      .rules.map((r) => [r.source, r.shape]),
  );
}
