/** What the CLI commands share: choosing a backend and loading the model named by --model. */
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  formatBytes,
  loadModel,
  type Model,
  type ModelSource,
  selectBackend,
  sourceFromArg,
  type WeightPrecision,
} from '../engine/node';
import { encodeInput } from '../interp';
import { UsageError } from './args';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  backend: { type: 'string' },
  precision: { type: 'string' },
} as const;

/** The options every command that loads a model takes, as the usage lines write them. */
type ModelArgs = { model?: string; backend?: string; precision?: string };

export async function loadFromArgs(values: ModelArgs): Promise<Model> {
  return (await loadModelAndSource(values)).model;
}

/**
 * The model and the source it was read from: the worker's host reads the folder's own datasets
 * from the source (the neutral openings that norm units are measured on), as the page's does.
 */
export async function loadModelAndSource(values: ModelArgs): Promise<{ model: Model; source: ModelSource }> {
  if (!values.model) throw new UsageError('--model is required');
  const precision = precisionArg(values.precision);
  const prefer = (values.backend ?? 'wasm') as BackendName;
  const backend = await selectBackend({ prefer });
  const source = sourceFromArg(values.model);
  const started = Date.now();
  const model = await loadModel(source, {
    limits: backend.limits,
    ...(precision ? { precision } : {}),
    onProgress: (p) => {
      if (p.total && p.loaded === p.total) console.error(`loaded ${p.file} (${formatBytes(p.total)})`);
    },
  });
  const rounded = precision ? `, matrices rounded to ${precision}` : '';
  console.error(`model ${source.id} on ${tf.getBackend()}${rounded} in ${Date.now() - started} ms`);
  return { model, source };
}

/** --precision: absent (the checkpoint's values) or bfloat16. */
export function precisionArg(value: string | undefined): WeightPrecision | undefined {
  if (value === undefined) return undefined;
  if (value === 'bfloat16') return value;
  throw new UsageError(`--precision ${value} is not known; the one choice is --precision bfloat16.`);
}

/**
 * A prompt as the command line gives it: text, or, for a model without tokenizer.json, token ids
 * ("12 7 99"). Text goes through interp's encoder, the page's own.
 */
export function encodePrompt(model: Model, prompt: string, chat: boolean): number[] {
  return encodeInput(model, model.tokenizer ? prompt : tokenIds(prompt), { chat });
}

/** "12 7 99" → [12, 7, 99]; anything else is a usage error. */
export function tokenIds(text: string): number[] {
  const ids = text
    .trim()
    .split(/[\s,]+/)
    .map(Number);
  if (ids.some((x) => !Number.isInteger(x)))
    throw new UsageError('This model has no tokenizer.json: give prompts as token ids ("12 7 99").');
  return ids;
}
