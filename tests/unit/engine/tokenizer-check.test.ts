import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../../src/engine/errors';
import { loadTokenizer } from '../../../src/engine/tokenizer';

const readJson = (url: URL): Record<string, unknown> => JSON.parse(readFileSync(url, 'utf8'));
const ORGANISM = new URL('../../../models/organism-llama/', import.meta.url);
const tokenizerJson = readJson(new URL('tokenizer.json', ORGANISM));
const tokenizerConfig = readJson(new URL('tokenizer_config.json', ORGANISM));
const model = tokenizerJson.model as Record<string, unknown>;

function loadError(json: unknown, config: unknown = tokenizerConfig): TokenizerError {
  try {
    loadTokenizer(json, config);
  } catch (e) {
    expect(e).toBeInstanceOf(TokenizerError);
    return e as TokenizerError;
  }
  throw new Error('the tokenizer loaded');
}

describe('tokenizer.json ids', () => {
  it('refuses a vocabulary id of 1e9 at once, naming the file, the token and the bound', () => {
    const vocab = { ...(model.vocab as Record<string, number>), far: 1e9 };
    const start = performance.now();
    const e = loadError({ ...tokenizerJson, model: { ...model, vocab } });
    expect(performance.now() - start).toBeLessThan(1000);
    expect(e.message).toBe(
      'tokenizer.json: "model.vocab" gives "far" the id 1000000000; ids must be integers from 0 to 4194303.',
    );
  });

  it('refuses an added token with a negative or huge id', () => {
    const added = tokenizerJson.added_tokens as Record<string, unknown>[];
    for (const id of [-1, 2 ** 40]) {
      const e = loadError({
        ...tokenizerJson,
        added_tokens: [...added, { ...added[0], content: '<x>', id }],
      });
      expect(e.message).toMatch(/^tokenizer\.json: "added_tokens" gives "<x>" the id/);
    }
  });
});

describe('tokenizer.json post-processor', () => {
  const template = (single: unknown, extra: Record<string, unknown> = {}) => ({
    ...tokenizerJson,
    post_processor: { type: 'TemplateProcessing', single, pair: null, special_tokens: {}, ...extra },
  });

  it('refuses TemplateProcessing with "single": "x" at load, naming the file and the field', () => {
    expect(loadError(template('x')).message).toBe(
      'tokenizer.json: "post_processor.single" must be a list of {"SpecialToken": ...} and {"Sequence": ...} items, not "x".',
    );
  });

  it('names the item at fault, inside a Sequence post-processor too', () => {
    const bad = template([{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: 3, type_id: 0 } }]);
    expect(loadError(bad).message).toMatch(
      /^tokenizer\.json: "post_processor\.single\[1\]" is \{"SpecialToken"/,
    );
    const nested = {
      ...tokenizerJson,
      post_processor: { type: 'Sequence', processors: [tokenizerJson.post_processor, bad.post_processor] },
    };
    expect(loadError(nested).message).toMatch(/"post_processor\.processors\[1\]\.single\[1\]"/);
  });

  it('still loads a well-formed TemplateProcessing and adds its special tokens', () => {
    const tok = loadTokenizer(
      template([
        { SpecialToken: { id: '<|endoftext|>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
      ]),
      tokenizerConfig,
    );
    expect(tok.encode('hi')[0]).toBe(3213);
  });

  it('names the stage that fails on a test text instead of failing later on the prompt', () => {
    const e = loadError({
      ...tokenizerJson,
      post_processor: { type: 'BertProcessing', sep: ['x', 1], cls: null },
    });
    expect(e.message).toMatch(/^tokenizer\.json: "post_processor" fails on a test text \(/);
  });

  it('refuses a post-processor whose special tokens are not in the vocabulary', () => {
    const e = loadError({
      ...tokenizerJson,
      post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] },
    });
    expect(e.message).toBe(
      'tokenizer.json: "post_processor" adds "<s>" to every text, but it is not in the vocabulary.',
    );
  });
});

describe('encoding with a vocabulary that misses a piece', () => {
  it('says which word has no id when there is no unknown token, instead of returning undefined ids', () => {
    const vocab = Object.fromEntries(
      ['Hello', ',', 'world', '!', '123', 'café', 'done', '.'].map((w, i) => [w, i]),
    );
    const wordLevel = {
      added_tokens: [],
      pre_tokenizer: { type: 'Whitespace' },
      model: { type: 'WordLevel', vocab, unk_token: null },
    };
    const tok = loadTokenizer(wordLevel, {});
    expect(tok.encode('Hello, world!')).toEqual([0, 1, 2, 3]);
    expect(() => tok.encode('Hello there')).toThrow(
      new TokenizerError(
        'tokenizer.json: the text holds "there", which is not in the vocabulary, and the tokenizer has no unknown token to stand for it.',
      ),
    );
  });
});
