/**
 * Text ↔ token ids for a model, from its `tokenizer.json` and `tokenizer_config.json`, through
 * @huggingface/tokenizers; chat templates through @huggingface/jinja. Malformed files end in a
 * TokenizerError naming the file, never in a crash deep inside either library.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { type ChatTemplate, parseChatTemplate, renderChatTemplate } from './chat-template';
import { TokenizerError } from './errors';
import { checkPostProcessor, checkTokenIds, probeStages } from './tokenizer-check';

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

/** Turns ids arriving one at a time into text, never splitting a UTF-8 character. */
export interface StreamDecoder {
  /** The text that the new token completes; '' while a character is still incomplete. */
  push(id: number): string;
  /** Whatever is still held back (an incomplete character shows as U+FFFD); resets the decoder. */
  flush(): string;
}

export interface RudderTokenizer {
  /** Largest id + 1 (the model's embedding table may be larger: padding rows). */
  readonly vocabSize: number;
  readonly bosTokenId?: number;
  readonly eosTokenIds: readonly number[];
  readonly hasChatTemplate: boolean;
  /** addSpecialTokens (default true) adds what the tokenizer adds around a text (e.g. BOS). */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecialTokens?: boolean }): string;
  /** One token as readable text (" happy"), byte-level escapes undone where the bytes allow. */
  tokenString(id: number): string;
  /** The prompt text for a conversation; encode it with addSpecialTokens: false. */
  applyChatTemplate(messages: readonly ChatMessage[], opts: { addGenerationPrompt: boolean }): string;
  createStreamDecoder(opts?: { skipSpecialTokens?: boolean }): StreamDecoder;
}

export interface LoadTokenizerOptions {
  /** A chat template from a separate `chat_template.jinja`, used over tokenizer_config's. */
  readonly chatTemplate?: string;
  /** File names for messages (paths or URLs); default `tokenizer.json`, `tokenizer_config.json`. */
  readonly files?: { readonly tokenizer?: string; readonly config?: string };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const errMsg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Special tokens may be written as a string or as a serialised AddedToken `{ content, ... }`. */
function tokenText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v.content === 'string') return v.content;
  return undefined;
}

function checkTokenizerJson(json: unknown, file: string): Obj {
  const fail = (problem: string) => new TokenizerError(`${file}: ${problem}`);
  if (!isObj(json)) throw fail('must hold a JSON object (the "tokenizer.json" of a fast tokenizer).');
  const model = json.model;
  if (!isObj(model)) throw fail('has no "model" section.');
  if (!isObj(model.vocab) && !Array.isArray(model.vocab))
    throw fail('"model.vocab" is missing or not a map.');
  const types = ['BPE', 'WordPiece', 'Unigram', 'WordLevel'];
  if (model.type !== undefined && !types.includes(model.type as string)) {
    throw fail(`"model.type" is ${JSON.stringify(model.type)}; supported: ${types.join(', ')}.`);
  }
  if (model.type === 'BPE' && !Array.isArray(model.merges))
    throw fail('"model.merges" of a BPE model must be a list.');
  const added = json.added_tokens ?? [];
  if (!Array.isArray(added)) throw fail('"added_tokens" must be a list.');
  for (const t of added) {
    if (!isObj(t) || typeof t.content !== 'string' || !Number.isInteger(t.id)) {
      throw fail(
        `"added_tokens" holds an entry without an integer "id" and a string "content": ${JSON.stringify(t)}.`,
      );
    }
  }
  // The library wants every section present; Hugging Face writes absent ones as null.
  return {
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: null,
    ...json,
    added_tokens: added,
  };
}

function checkConfig(json: unknown, file: string): Obj {
  if (json === undefined || json === null) return {};
  if (!isObj(json)) throw new TokenizerError(`${file}: must hold a JSON object.`);
  const config: Obj = { ...json };
  for (const [key, value] of Object.entries(json)) {
    // bos_token, eos_token, ...; add_bos_token and friends are booleans and stay as they are.
    if (key.endsWith('_token') && isObj(value)) {
      const text = tokenText(value);
      if (text === undefined)
        throw new TokenizerError(`${file}: "${key}" must be a string or { "content": ... }.`);
      config[key] = text;
    }
  }
  return config;
}

function chatTemplateSource(config: Obj, file: string): string | undefined {
  const t = config.chat_template;
  if (t === undefined || t === null) return undefined;
  if (typeof t === 'string') return t;
  // Some configs carry several named templates; "default" is the one for plain chat.
  if (Array.isArray(t)) {
    const named = t.find((x) => isObj(x) && x.name === 'default');
    if (isObj(named) && typeof named.template === 'string') return named.template;
  }
  throw new TokenizerError(`${file}: "chat_template" must be a string or a list with a "default" template.`);
}

/** GPT-2's byte ↔ printable-character table, inverted: which byte each vocabulary character stands for. */
const CHAR_TO_BYTE: ReadonlyMap<string, number> = (() => {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const map = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++) map.set(String.fromCharCode(printable(b) ? b : 256 + shifted++), b);
  return map;
})();

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes as text; a byte that is not part of a complete character is shown as `<0xE2>`. */
function bytesToDisplay(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    const len = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0;
    try {
      if (len === 0 || i + len > bytes.length) throw new Error('incomplete');
      out += UTF8.decode(bytes.subarray(i, i + len));
      i += len;
    } catch {
      out += `<0x${lead.toString(16).toUpperCase().padStart(2, '0')}>`;
      i += 1;
    }
  }
  return out;
}

export function loadTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  opts: LoadTokenizerOptions = {},
): RudderTokenizer {
  const tokFile = opts.files?.tokenizer ?? 'tokenizer.json';
  const cfgFile = opts.files?.config ?? 'tokenizer_config.json';
  const json = checkTokenizerJson(tokenizerJson, tokFile);
  const config = checkConfig(tokenizerConfig, cfgFile);
  checkTokenIds(json, tokFile);
  checkPostProcessor(json.post_processor, tokFile);

  let tok: Tokenizer;
  try {
    tok = new Tokenizer(json, config);
  } catch (e) {
    throw new TokenizerError(`${tokFile}: could not build the tokenizer: ${errMsg(e)}`);
  }
  probeStages(tok, tokFile);

  const templateFile = opts.chatTemplate !== undefined ? 'chat_template.jinja' : cfgFile;
  const templateSource = opts.chatTemplate ?? chatTemplateSource(config, cfgFile);
  const template: ChatTemplate | undefined =
    templateSource === undefined ? undefined : parseChatTemplate(templateSource, templateFile);

  const vocab = tok.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);
  const idOf = (key: string) => {
    const text = config[key];
    return typeof text === 'string' ? tok.token_to_id(text) : undefined;
  };
  const bosTokenId = idOf('bos_token');
  const eos = idOf('eos_token');
  const eosTokenIds = eos === undefined ? [] : [eos];
  const addedIds = new Set(tok.get_added_tokens_decoder().keys());
  // Llama-style configs may ask for BOS without a post-processor that adds it; transformers
  // then adds it itself, and so do we.
  const prependBos =
    config.add_bos_token === true && json.post_processor === null && bosTokenId !== undefined;

  const decoderJson = JSON.stringify(json.decoder ?? null);
  const byteLevel = decoderJson.includes('"ByteLevel"');
  const metaspace = decoderJson.includes('▁');

  const checkIds = (ids: readonly number[]) => {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0) throw new TokenizerError(`${tokFile}: ${id} is not a token id.`);
    }
  };
  // Ids past the tokenizer's vocabulary exist in models whose embedding table is padded; they
  // stand for no text, so they decode to nothing rather than to a library-dependent placeholder.
  const known = (ids: readonly number[]) => ids.filter((id) => tok.id_to_token(id) !== undefined);
  /** The library's own errors (a malformed section met by this text) as TokenizerError. */
  const guarded = <T>(what: string, run: () => T): T => {
    try {
      return run();
    } catch (e) {
      if (e instanceof TokenizerError) throw e;
      throw new TokenizerError(`${tokFile}: could not ${what}: ${errMsg(e)}`);
    }
  };
  const decode = (ids: readonly number[], skipSpecialTokens = false) => {
    checkIds(ids);
    const kept = known(ids);
    if (kept.length === 0) return '';
    return guarded('decode these tokens', () => tok.decode(kept, { skip_special_tokens: skipSpecialTokens }));
  };

  return {
    vocabSize,
    ...(bosTokenId === undefined ? {} : { bosTokenId }),
    eosTokenIds,
    hasChatTemplate: template !== undefined,

    encode(text, { addSpecialTokens = true } = {}) {
      const { ids, tokens } = guarded('encode this text', () =>
        tok.encode(text, { add_special_tokens: addSpecialTokens }),
      );
      // A piece missing from the vocabulary, in a tokenizer without an unknown token, has no id.
      const missing = ids.findIndex((id) => !Number.isInteger(id));
      if (missing >= 0) {
        throw new TokenizerError(
          `${tokFile}: the text holds ${JSON.stringify(tokens[missing]).slice(0, 60)}, which is not in the vocabulary, and the tokenizer has no unknown token to stand for it.`,
        );
      }
      if (addSpecialTokens && prependBos && ids[0] !== bosTokenId) ids.unshift(bosTokenId);
      return ids;
    },

    decode: (ids, { skipSpecialTokens = false } = {}) => decode(ids, skipSpecialTokens),

    tokenString(id) {
      checkIds([id]);
      const raw = tok.id_to_token(id);
      if (raw === undefined) return `<unused id ${id}>`;
      if (addedIds.has(id)) return raw;
      if (byteLevel) {
        const bytes = [...raw].map((ch) => CHAR_TO_BYTE.get(ch));
        if (bytes.every((b) => b !== undefined)) return bytesToDisplay(Uint8Array.from(bytes));
        return raw;
      }
      // SentencePiece byte fallback: show ASCII bytes as themselves, the rest stay escaped.
      const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(raw);
      if (byte) {
        const b = Number.parseInt(byte[1]!, 16);
        return b < 0x80 ? String.fromCharCode(b) : raw;
      }
      return metaspace ? raw.replaceAll('▁', ' ') : raw;
    },

    applyChatTemplate(messages, { addGenerationPrompt }) {
      if (template === undefined) {
        throw new TokenizerError(
          `${cfgFile} has no chat template, so this model takes plain text prompts only.`,
        );
      }
      const specials: Obj = {};
      for (const [key, value] of Object.entries(config)) {
        if ((key.endsWith('_token') && typeof value === 'string') || key === 'additional_special_tokens') {
          specials[key] = value;
        }
      }
      return renderChatTemplate(template, {
        ...specials,
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: addGenerationPrompt,
      });
    },

    createStreamDecoder({ skipSpecialTokens = false } = {}) {
      // Decode a short window twice, with and without the new token, and emit the difference
      // (as text-generation-inference does): decoders that strip a leading space or merge bytes
      // see the same context both times, and a trailing U+FFFD means a character is incomplete.
      let ids: number[] = [];
      let read = 0;
      const step = (final: boolean) => {
        const before = decode(ids.slice(0, read), skipSpecialTokens);
        const after = decode(ids, skipSpecialTokens);
        if (after.length <= before.length || (!final && after.endsWith('\uFFFD'))) return '';
        ids = ids.slice(read);
        read = ids.length;
        return after.slice(before.length);
      };
      return {
        push(id) {
          checkIds([id]);
          ids.push(id);
          return step(false);
        },
        flush() {
          const rest = step(true);
          ids = [];
          read = 0;
          return rest;
        },
      };
    },
  };
}
