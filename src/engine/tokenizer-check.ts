/**
 * Checks of tokenizer.json that @huggingface/tokenizers does not make, so that a malformed file
 * fails at load with its name and the field at fault, rather than later, in the middle of the
 * person's prompt, as a TypeError from inside the library:
 * - token ids are bounded before the library sizes anything by them (it stores its vocabulary
 *   in an array indexed by id and walks it to the largest id: one id of 1e9 cost 38 s);
 * - a TemplateProcessing post-processor has the structure the library indexes into;
 * - every stage (normalizer, pre-tokenizer, model, post-processor, decoder) runs on a test text.
 */
import type { Tokenizer } from '@huggingface/tokenizers';
import { shownValue, TokenizerError } from './errors';
import { isTokenId, MAX_VOCAB } from './families/bounds';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every id in `model.vocab` and `added_tokens` is an integer in [0, MAX_VOCAB). */
export function checkTokenIds(json: Obj, file: string): void {
  const fail = (problem: string) => new TokenizerError(`${file}: ${problem}`);
  const range = `ids must be integers from 0 to ${MAX_VOCAB - 1}`;
  const vocab = (json.model as Obj).vocab;
  if (Array.isArray(vocab)) {
    // Unigram: [token, score] pairs, the id being the position.
    if (vocab.length > MAX_VOCAB)
      throw fail(`"model.vocab" holds ${vocab.length} tokens; at most ${MAX_VOCAB}.`);
    vocab.forEach((entry, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Number.isFinite(entry[1]))
        throw fail(`"model.vocab" entry ${i} is ${shownValue(entry)}, not a [token, score] pair.`);
    });
  } else {
    let n = 0;
    for (const [token, id] of Object.entries(vocab as Obj)) {
      if (!isTokenId(id))
        throw fail(`"model.vocab" gives ${shownValue(token)} the id ${shownValue(id)}; ${range}.`);
      n++;
    }
    if (n > MAX_VOCAB) throw fail(`"model.vocab" holds ${n} tokens; at most ${MAX_VOCAB}.`);
  }
  for (const t of json.added_tokens as Obj[]) {
    if (!isTokenId(t.id))
      throw fail(`"added_tokens" gives ${shownValue(t.content)} the id ${shownValue(t.id)}; ${range}.`);
  }
}

/** Checks a post-processor's structure where the library relies on it without checking. */
export function checkPostProcessor(pp: unknown, file: string, path = 'post_processor'): void {
  if (pp === null || pp === undefined) return;
  const fail = (where: string, problem: string) => new TokenizerError(`${file}: "${where}" ${problem}`);
  if (!isObj(pp) || typeof pp.type !== 'string') throw fail(path, 'must be an object with a "type".');
  if (pp.type === 'Sequence') {
    if (!Array.isArray(pp.processors)) throw fail(`${path}.processors`, 'must be a list of post-processors.');
    pp.processors.forEach((p, i) => checkPostProcessor(p, file, `${path}.processors[${i}]`));
    return;
  }
  if (pp.type !== 'TemplateProcessing') return;
  for (const key of ['single', 'pair'] as const) {
    const items = pp[key];
    if (key === 'pair' && (items === undefined || items === null)) continue;
    if (!Array.isArray(items))
      throw fail(
        `${path}.${key}`,
        `must be a list of {"SpecialToken": ...} and {"Sequence": ...} items, not ${shownValue(items)}.`,
      );
    items.forEach((item, i) => {
      const special = isObj(item) ? item.SpecialToken : undefined;
      const sequence = isObj(item) ? item.Sequence : undefined;
      const ok =
        (isObj(special) && typeof special.id === 'string' && Number.isInteger(special.type_id)) ||
        (isObj(sequence) &&
          (sequence.id === 'A' || sequence.id === 'B') &&
          Number.isInteger(sequence.type_id));
      if (!ok)
        throw fail(
          `${path}.${key}[${i}]`,
          `is ${shownValue(item)}; expected {"SpecialToken": {"id": "<s>", "type_id": 0}} or {"Sequence": {"id": "A", "type_id": 0}}.`,
        );
    });
  }
}

/** A text every stage must get through: letters, digits, punctuation, spacing, non-ASCII. */
const PROBE = 'Hello, world! 123 café\n\tdone.';

/** Runs each stage of a built tokenizer on a test text; a failure names the stage's field. */
export function probeStages(tok: Tokenizer, file: string): void {
  const stage = <T>(field: string, run: () => T): T => {
    try {
      return run();
    } catch (e) {
      throw new TokenizerError(
        `${file}: "${field}" fails on a test text (${e instanceof Error ? e.message : String(e)}); the section is malformed or of a kind this tokenizer library cannot run.`,
      );
    }
  };
  const text = stage('normalizer', () => (tok.normalizer ? tok.normalizer(PROBE) : PROBE));
  const pieces = stage('pre_tokenizer', () => (tok.pre_tokenizer ? tok.pre_tokenizer(text) : [text]));
  const tokens = stage('model', () => (tok.model ? tok.model(pieces) : pieces));
  stage('post_processor', () => tok.post_processor?.(tokens, null, true));
  stage('decoder', () => tok.decoder?.(tokens));
  // What the post-processor adds around every text must be in the vocabulary, or it has no id.
  const added = stage('post_processor', () => tok.encode('', { add_special_tokens: true }));
  const missing = added.ids.findIndex((id) => !Number.isInteger(id));
  if (missing >= 0)
    throw new TokenizerError(
      `${file}: "post_processor" adds ${shownValue(added.tokens[missing])} to every text, but it is not in the vocabulary.`,
    );
}
