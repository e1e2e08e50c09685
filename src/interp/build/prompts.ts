/**
 * The one prompt encoder: prompts as the page, the CLI and recipes hold them (text, or token ids
 * for a model without a tokenizer) → token ids for a model, through its chat template when asked.
 */

import type { Model } from '../../engine';
import { RudderError } from '../../engine';
import type { PromptInput } from '../recipe';

export interface EncodeOptions {
  /** Wrap the text as a user turn in the model's chat template, ending with the assistant prompt. */
  readonly chat?: boolean;
}

export function encodeInput(model: Model, input: PromptInput, opts: EncodeOptions = {}): number[] {
  if (typeof input !== 'string') {
    if (input.length === 0) throw new RudderError('empty-input', 'A prompt needs at least one token.');
    return [...input];
  }
  const tok = model.tokenizer;
  if (!tok)
    throw new RudderError(
      'no-tokenizer',
      `Model "${model.id}" has no tokenizer.json: give prompts as token ids instead of text.`,
    );
  const ids = opts.chat
    ? tok.encode(tok.applyChatTemplate([{ role: 'user', content: input }], { addGenerationPrompt: true }), {
        addSpecialTokens: false,
      })
    : tok.encode(input);
  // An empty text starts from BOS (Llama) or the end-of-text token (GPT-2's convention).
  const start = tok.bosTokenId ?? tok.eosTokenIds[0];
  if (ids.length === 0 && start !== undefined) ids.push(start);
  if (ids.length === 0) throw new RudderError('empty-input', `The prompt "${input}" encodes to no tokens.`);
  return ids;
}

/**
 * How many tokens the chat template puts after the user's message (Arditi's post-instruction
 * positions, e.g. "<|end|>\n<|assistant|>\n"): the shortest common suffix of templated prompts
 * that end in a letter, a digit and a question mark. Two messages ending in letters are not
 * enough: "alpha" and "beta" share a final "a" token in a byte-level BPE.
 */
export function postInstructionLength(model: Model): number {
  const [first, ...rest] = ['alpha', 'omega 42', 'why?'].map((m) => encodeInput(model, m, { chat: true }));
  return Math.min(...rest.map((ids) => commonSuffixLength(first!, ids)));
}

function commonSuffixLength(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < Math.min(a.length, b.length) && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}
