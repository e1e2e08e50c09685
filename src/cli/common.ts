/** What the CLI commands share: choosing a backend and loading the model named by --model. */
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  formatBytes,
  loadModel,
  type Model,
  selectBackend,
  sourceFromArg,
} from '../engine/node';
import { UsageError } from './args';

export const MODEL_OPTIONS = {
  model: { type: 'string' },
  backend: { type: 'string' },
} as const;

export async function loadFromArgs(values: { model?: string; backend?: string }): Promise<Model> {
  if (!values.model) throw new UsageError('--model is required');
  const prefer = (values.backend ?? 'wasm') as BackendName;
  const backend = await selectBackend({ prefer });
  const source = sourceFromArg(values.model);
  const started = Date.now();
  const model = await loadModel(source, {
    limits: backend.limits,
    onProgress: (p) => {
      if (p.total && p.loaded === p.total) console.error(`loaded ${p.file} (${formatBytes(p.total)})`);
    },
  });
  console.error(`model ${source.id} on ${tf.getBackend()} in ${Date.now() - started} ms`);
  return model;
}

/** The prompt as token ids: through the chat template when asked, BOS-prefixed when the tokenizer says so. */
export function encodePrompt(model: Model, prompt: string, chat: boolean): number[] {
  const tok = model.tokenizer;
  if (!tok) {
    // A model without a tokenizer takes ids: "12 7 99".
    const ids = prompt
      .trim()
      .split(/[\s,]+/)
      .map(Number);
    if (ids.some((x) => !Number.isInteger(x))) {
      throw new Error('This model has no tokenizer.json: give the prompt as token ids ("12 7 99").');
    }
    return ids;
  }
  const text = chat
    ? tok.applyChatTemplate([{ role: 'user', content: prompt }], { addGenerationPrompt: true })
    : prompt;
  return tok.encode(text, { addSpecialTokens: !chat });
}
