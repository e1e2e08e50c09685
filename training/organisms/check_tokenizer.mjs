// Checks that tokenizers.js and @huggingface/jinja read our exported tokenizer exactly as the
// Python encoder (bpe.py) does: same ids, exact round trip, same chat-template rendering.
//   node training/organisms/check_tokenizer.mjs [tokenizer dir] [golden.json]
// golden.json is written by `bpe.py check` (default training/out/tokenizer/golden.json).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';

const dir = process.argv[2] ?? 'training/out/tokenizer';
const read = (name) => JSON.parse(readFileSync(join(dir, name), 'utf8'));
const config = read('tokenizer_config.json');
const tokenizer = new Tokenizer(read('tokenizer.json'), config);
const golden = JSON.parse(readFileSync(process.argv[3] ?? 'training/out/tokenizer/golden.json', 'utf8'));

let idMismatch = 0;
let roundTripFailures = 0;
for (const { text, ids } of golden.texts) {
  const got = tokenizer.encode(text, { add_special_tokens: false }).ids;
  const withDefaults = tokenizer.encode(text).ids;
  if (JSON.stringify(got) !== JSON.stringify(ids) || JSON.stringify(withDefaults) !== JSON.stringify(ids)) {
    if (idMismatch++ === 0) console.log('first id mismatch:', JSON.stringify(text.slice(0, 120)), got.slice(0, 20), ids.slice(0, 20));
  }
  if (tokenizer.decode(got) !== text) {
    if (roundTripFailures++ === 0) console.log('first round-trip failure:', JSON.stringify(text.slice(0, 120)));
  }
}
const rendered = new Template(config.chat_template).render({
  messages: golden.chat.messages,
  add_generation_prompt: true,
  bos_token: config.bos_token,
  eos_token: config.eos_token,
});
const templateOk = rendered === golden.chat.rendered;
const chatIdsOk = JSON.stringify(tokenizer.encode(rendered).ids) === JSON.stringify(golden.chat.ids);
console.log(
  `${golden.texts.length} texts: ${idMismatch} id mismatches, ${roundTripFailures} round-trip failures; ` +
    `chat template ${templateOk ? 'matches' : 'DIFFERS'}, chat ids ${chatIdsOk ? 'match' : 'DIFFER'}`,
);
if (!templateOk) console.log(JSON.stringify(rendered), JSON.stringify(golden.chat.rendered));
process.exit(idMismatch || roundTripFailures || !templateOk || !chatIdsOk ? 1 : 0);
