/**
 * 1,000 tokenizer.json files and 1,000 tokenizer_config.json files (broken chat templates above
 * all) mutated from real ones. Each must load and then encode, decode, show tokens, stream and
 * render a conversation, or end in a TokenizerError naming its file, within 2 s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { readTokenizer } from '../../../src/engine/load';
import type { RudderTokenizer } from '../../../src/engine/tokenizer';
import { filesSource } from '../../../src/engine/weights/source';
import { CHATML_TOOLS, GEMMA, LLAMA3 } from '../../support/chat-templates';
import { FuzzTally, int, jsonText, mutateJson, mutateText, pick, type Rng, rng } from '../../support/fuzz';

const ROOT = join(import.meta.dirname, '../../..');
const read = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;
const FOLDERS = [
  'models/organism-llama',
  'models/organism-gpt2',
  'tests/fixtures/tokenizers/tiny-bytelevel-bpe',
];
const TOKENIZERS = FOLDERS.map((f) => read(`${f}/tokenizer.json`));
const TOKENIZER_TEXTS = TOKENIZERS.map((t) => JSON.stringify(t));
const CONFIGS = [
  ...FOLDERS.map((f) => read(`${f}/tokenizer_config.json`)),
  ...[LLAMA3, CHATML_TOOLS, GEMMA].map((t) => ({
    ...read(`${FOLDERS[0]}/tokenizer_config.json`),
    chat_template: t,
  })),
];
const names = (e: Error) => /tokenizer\.json|tokenizer_config\.json/.test(e.message);

const TEXTS = ['Hello, world!', ' héllo\n\tcafé 😀', '<|user|>hi<|end|>', '', 'x'.repeat(300)];
const MESSAGES = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'Name a colour.' },
  { role: 'assistant', content: 'Blue.' },
  { role: 'user', content: '<img src=x onerror=alert(1)>' },
];

/** The tokenizer of a dropped folder holding these two files, as the loader reads it. */
async function load(tokenizerText: string, configText: string): Promise<RudderTokenizer> {
  const files = [
    new File([tokenizerText], 'm/tokenizer.json'),
    new File([configText], 'm/tokenizer_config.json'),
  ];
  const tok = await readTokenizer(filesSource(files));
  if (!tok) throw new Error('no tokenizer read');
  return tok;
}

/** What a page does with a tokenizer: every call must work or throw a TokenizerError. */
function exercise(tok: RudderTokenizer): void {
  for (const text of TEXTS) {
    const ids = tok.encode(text);
    tok.decode(ids, { skipSpecialTokens: true });
    const stream = tok.createStreamDecoder();
    for (const id of ids.slice(0, 8)) stream.push(id);
    stream.flush();
  }
  for (const id of [0, 1, tok.vocabSize - 1, tok.vocabSize, tok.vocabSize + 100])
    if (id >= 0) tok.tokenString(id);
  if (tok.hasChatTemplate) {
    tok.applyChatTemplate(MESSAGES.slice(1, 2), { addGenerationPrompt: true });
    tok.applyChatTemplate(MESSAGES, { addGenerationPrompt: false });
  }
}

/** Jinja that a broken or hostile template may hold. */
const SNIPPETS = [
  '{% for i in range(10000000) %}{{ i }}{% endfor %}',
  '{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}',
  "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
  '{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}',
  "{{ 'a\\nb' | indent(1000000000) }}",
  '{{ messages | tojson(indent=99999999) }}',
  "{{ raise_exception('no') }}",
  '{{ messages[1000].content }}',
  '{{ x.y.z }}',
  '{% endfor %}',
  '{% for %}',
  '{{',
  '}}',
  '{% if %}',
  '{{ messages | length / 0 }}',
  '{{ 1 // 0 }}',
  '{{ range(1, 10, 0) }}',
  '{{ strftime_now(5) }}',
  "{{ 'x'.replace('', 'yy') }}",
  '{{ (range(9000) + range(9000)) | length }}',
  '{% set messages = 5 %}{% for m in messages %}{% endfor %}',
];

function mutateTemplate(r: Rng, template: string): string {
  const at = int(r, template.length + 1);
  switch (int(r, 3)) {
    case 0:
      return mutateText(r, template);
    case 1:
      return template.slice(0, at) + pick(r, SNIPPETS) + template.slice(at);
    default:
      return pick(r, SNIPPETS);
  }
}

describe('tokenizer files under fuzzing', () => {
  it('loads and uses, or refuses, 1,000 mutated tokenizer.json files', async () => {
    const r = rng(17_002);
    const tally = new FuzzTally('tokenizer.json', names);
    for (let i = 0; i < 1000; i++) {
      const which = int(r, TOKENIZERS.length);
      let json: unknown = TOKENIZERS[which];
      for (let k = 1 + int(r, 3); k > 0; k--) json = mutateJson(r, json);
      let text = jsonText(json);
      if (r() < 0.2) text = mutateText(r, text);
      const config = JSON.stringify(CONFIGS[which]);
      await tally.run(
        () => text.slice(0, 400),
        async () => exercise(await load(text, config)),
      );
    }
    tally.report();
  });

  it('loads and uses, or refuses, 1,000 mutated tokenizer_config.json files and chat templates', async () => {
    const r = rng(17_003);
    const tally = new FuzzTally('tokenizer_config.json', names);
    for (let i = 0; i < 1000; i++) {
      const base = pick(r, CONFIGS);
      const which = Math.min(CONFIGS.indexOf(base), TOKENIZERS.length - 1);
      let config: Record<string, unknown> = base;
      if (r() < 0.7 && typeof base.chat_template === 'string')
        config = { ...base, chat_template: mutateTemplate(r, base.chat_template) };
      if (r() < 0.5) config = mutateJson(r, config) as Record<string, unknown>;
      let text = jsonText(config);
      if (r() < 0.1) text = mutateText(r, text);
      await tally.run(
        () => text.slice(0, 400),
        async () => exercise(await load(TOKENIZER_TEXTS[which]!, text)),
      );
    }
    tally.report();
  });
});
