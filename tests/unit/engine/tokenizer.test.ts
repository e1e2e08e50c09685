import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TokenizerError } from '../../../src/engine/errors';
import { loadTokenizer } from '../../../src/engine/tokenizer';

const readJson = (url: URL): Record<string, unknown> => JSON.parse(readFileSync(url, 'utf8'));
const BPE_DIR = new URL('../../fixtures/tokenizers/tiny-bytelevel-bpe/', import.meta.url);
const bpeJson = readJson(new URL('tokenizer.json', BPE_DIR));
const bpeConfig = readJson(new URL('tokenizer_config.json', BPE_DIR));
const bpe = loadTokenizer(bpeJson, bpeConfig);

function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

// Ids from the independent BPE in tests/fixtures/tokenizers/tiny-bytelevel-bpe/make.py.
const CASES: [string, number[]][] = [
  ['hello', [104, 257, 258]],
  [' hello world', [260, 271]],
  ['hello café 😀', [104, 257, 258, 32, 264, 32, 265, 152, 128]],
  ['é', [261]],
  ['<|im_start|>user\nhi<|im_end|>', [273, 117, 115, 101, 114, 10, 266, 274]],
  [
    'naïve Ünïcödé 👍🏽!',
    [
      110, 97, 195, 175, 118, 101, 32, 195, 156, 110, 195, 175, 99, 195, 182, 100, 261, 32, 265, 145, 141,
      265, 143, 189, 33,
    ],
  ],
];

describe('byte-level BPE tokenizer', () => {
  it('encodes to the ids an independent BPE implementation gives', () => {
    for (const [text, ids] of CASES) expect(bpe.encode(text)).toEqual(ids);
  });

  it('decodes every case back to the exact text, multi-byte characters included', () => {
    for (const [text, ids] of CASES) expect(bpe.decode(ids)).toBe(text);
  });

  it('reads vocabulary size and special tokens, written as strings or as AddedToken objects', () => {
    expect(bpe.vocabSize).toBe(275);
    expect(bpe.bosTokenId).toBe(272);
    expect(bpe.eosTokenIds).toEqual([274]);
    expect(bpe.hasChatTemplate).toBe(true);
  });

  it('drops special tokens from decoded text when asked', () => {
    expect(bpe.decode([273, 266, 274], { skipSpecialTokens: true })).toBe('hi');
    expect(bpe.decode([])).toBe('');
  });

  it('shows single tokens readably, escaping only bytes that are not a whole character', () => {
    expect(bpe.tokenString(260)).toBe(' hello');
    expect(bpe.tokenString(264)).toBe('café');
    expect(bpe.tokenString(10)).toBe('\n');
    expect(bpe.tokenString(265)).toBe('<0xF0><0x9F>');
    expect(bpe.tokenString(128)).toBe('<0x80>');
    expect(bpe.tokenString(274)).toBe('<|im_end|>');
    expect(() => bpe.tokenString(-1)).toThrow(TokenizerError);
  });

  it('streams text only when a character is complete', () => {
    const stream = bpe.createStreamDecoder();
    const pieces = CASES[2]![1].map((id) => stream.push(id));
    expect(pieces).toEqual(['h', 'el', 'lo', ' ', 'café', ' ', '', '', '😀']);
    expect(stream.flush()).toBe('');
  });

  it('streams every case to exactly its text with no replacement character on the way', () => {
    for (const [text, ids] of CASES) {
      const stream = bpe.createStreamDecoder();
      const pieces = ids.map((id) => stream.push(id));
      expect(pieces.join('') + stream.flush()).toBe(text);
      expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
    }
  });

  it('flushes a character cut short as one replacement character', () => {
    const stream = bpe.createStreamDecoder();
    expect([104, 265].map((id) => stream.push(id))).toEqual(['h', '']);
    expect(stream.flush()).toBe('\uFFFD');
  });
});

describe('chat templates', () => {
  it('renders messages with bos_token and the generation prompt', () => {
    const text = bpe.applyChatTemplate(
      [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      { addGenerationPrompt: true },
    );
    expect(text).toBe(
      '<|endoftext|><|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(bpe.encode(text, { addSpecialTokens: false }).slice(0, 2)).toEqual([272, 273]);
  });

  it("turns the template's raise_exception into a TokenizerError carrying its message", () => {
    const e = thrown(() =>
      bpe.applyChatTemplate([{ role: 'robot', content: 'x' }], { addGenerationPrompt: false }),
    );
    expect(e).toBeInstanceOf(TokenizerError);
    expect(e.message).toBe(
      'tokenizer_config.json: the chat template failed on these messages: Unknown role: robot',
    );
  });

  it('says plainly when a model has no chat template', () => {
    const plain = loadTokenizer(bpeJson, { ...bpeConfig, chat_template: undefined });
    expect(plain.hasChatTemplate).toBe(false);
    expect(() => plain.applyChatTemplate([], { addGenerationPrompt: true })).toThrow(/has no chat template/);
  });

  it('refuses a template that does not parse when loading, naming the file', () => {
    const e = thrown(() =>
      loadTokenizer(bpeJson, { ...bpeConfig, chat_template: '{% for m in messages %}' }),
    );
    expect(e).toBeInstanceOf(TokenizerError);
    expect(e.message).toMatch(/^tokenizer_config\.json: the chat template does not parse: /);
  });

  it('prefers a separate chat_template.jinja and picks "default" from a list of named templates', () => {
    const separate = loadTokenizer(bpeJson, bpeConfig, { chatTemplate: '[{{ messages[0].content }}]' });
    expect(separate.applyChatTemplate([{ role: 'user', content: 'a' }], { addGenerationPrompt: false })).toBe(
      '[a]',
    );
    const named = loadTokenizer(bpeJson, {
      ...bpeConfig,
      chat_template: [
        { name: 'tool_use', template: 'tools' },
        { name: 'default', template: '{{ eos_token }}' },
      ],
    });
    expect(named.applyChatTemplate([], { addGenerationPrompt: false })).toBe('<|im_end|>');
  });
});

describe('malformed tokenizer files', () => {
  const model = bpeJson.model as Record<string, unknown>;
  it.each([
    ['a list', [], 'tokenizer.json: must hold a JSON object'],
    ['no model', { ...bpeJson, model: undefined }, 'tokenizer.json: has no "model" section.'],
    ['no vocab', { ...bpeJson, model: { ...model, vocab: 3 } }, '"model.vocab" is missing or not a map.'],
    ['an unknown model type', { ...bpeJson, model: { ...model, type: 'Magic' } }, '"model.type" is "Magic"'],
    [
      'BPE without merges',
      { ...bpeJson, model: { ...model, merges: null } },
      '"model.merges" of a BPE model',
    ],
    ['a bad added token', { ...bpeJson, added_tokens: [{ id: 'x' }] }, '"added_tokens" holds an entry'],
    [
      'an unknown pre-tokenizer',
      { ...bpeJson, pre_tokenizer: { type: 'Telepathy' } },
      'tokenizer.json: could not build the tokenizer: Unknown PreTokenizer type: Telepathy',
    ],
  ])('names the file and the problem for %s', (_, json, message) => {
    const e = thrown(() => loadTokenizer(json, bpeConfig));
    expect(e).toBeInstanceOf(TokenizerError);
    expect(e.message).toContain(message);
  });

  it('names tokenizer_config.json when a special token has the wrong form', () => {
    expect(() => loadTokenizer(bpeJson, { ...bpeConfig, eos_token: { text: 'x' } })).toThrow(
      'tokenizer_config.json: "eos_token" must be a string or { "content": ... }.',
    );
    expect(() =>
      loadTokenizer(bpeJson, 'nope', { files: { config: 'models/x/tokenizer_config.json' } }),
    ).toThrow('models/x/tokenizer_config.json: must hold a JSON object.');
  });
});

describe('SentencePiece-style tokens', () => {
  it('shows the word-boundary mark as a space and ASCII byte-fallback tokens as their character', () => {
    const sp = loadTokenizer(
      {
        model: {
          type: 'BPE',
          vocab: { '<unk>': 0, '▁hi': 1, '<0x0A>': 2, '<0xE2>': 3 },
          merges: [],
          byte_fallback: true,
        },
        pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
        decoder: {
          type: 'Sequence',
          decoders: [
            { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
            { type: 'ByteFallback' },
            { type: 'Fuse' },
          ],
        },
      },
      { unk_token: '<unk>' },
    );
    expect([1, 2, 3].map((id) => sp.tokenString(id))).toEqual([' hi', '\n', '<0xE2>']);
  });
});

// The placeholder word-level tokenizer of the external reference checkpoint (its README).
const STORIES = new URL('../../../../shared/reference/stories260K/', import.meta.url);
const haveStories = existsSync(new URL('tokenizer.json', STORIES));

describe(
  haveStories
    ? 'stories260K tokenizer'
    : 'stories260K tokenizer (SKIPPED: ../shared/reference/stories260K is absent)',
  () => {
    it.skipIf(!haveStories)('maps t{i} to id i, joins words with spaces and streams them', () => {
      const json = readJson(new URL('tokenizer.json', STORIES));
      const config = readJson(new URL('tokenizer_config.json', STORIES));
      const tok = loadTokenizer(json, config);
      expect(tok.encode('t1 t403')).toEqual([1, 403]);
      expect(tok.encode('t7 unknownword')).toEqual([7, 0]);
      expect(tok.decode([1, 403, 5])).toBe('t1 t403 t5');
      expect(tok).toMatchObject({ vocabSize: 512, eosTokenIds: [2], hasChatTemplate: false });
      expect(tok.bosTokenId).toBeUndefined();
      const stream = tok.createStreamDecoder();
      expect([1, 403, 5].map((id) => stream.push(id))).toEqual(['t1', ' t403', ' t5']);
      // add_bos_token with no post-processor: transformers prepends BOS itself, and so do we.
      const withBos = loadTokenizer(json, { ...config, bos_token: 't1', add_bos_token: true });
      expect(withBos.encode('t5')).toEqual([1, 5]);
      expect(withBos.encode('t5', { addSpecialTokens: false })).toEqual([5]);
    });
  },
);
