/**
 * Model folders the browser tests serve (at /e2e-models/<name> and through the local Hub): a
 * small random-weight GPT-2 with the tiny byte-level BPE tokenizer (so it turns text into
 * tokens and back, and its 1024-token context lets a long generation be stopped), and broken
 * ones for the error paths.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HostTensor } from '../../../src/engine/spec';
import { writeSafetensors } from '../../../src/engine/weights/safetensors-write';
import { tempFolder } from '../../support/model-folder';

const REPO = resolve(import.meta.dirname, '../../..');
const TOKENIZER = join(REPO, 'tests/fixtures/tokenizers/tiny-bytelevel-bpe');

export const TEXT_MODEL = 'text-tiny';

export async function prepareModels(): Promise<{ dir: string; remove(): Promise<void> }> {
  const folder = await tempFolder({});
  const make = async (name: string, files: Record<string, string | Uint8Array | { copy: string }>) => {
    await mkdir(join(folder.dir, name), { recursive: true });
    for (const [file, content] of Object.entries(files)) {
      const to = join(folder.dir, name, file);
      if (typeof content === 'object' && 'copy' in content) await copyFile(content.copy, to);
      else await writeFile(to, content);
    }
  };
  const tokenizer = {
    'tokenizer.json': { copy: join(TOKENIZER, 'tokenizer.json') },
    'tokenizer_config.json': { copy: join(TOKENIZER, 'tokenizer_config.json') },
  };
  const textConfig = JSON.stringify(TEXT_CONFIG, null, 1);
  const weights = gpt2Weights();
  await make(TEXT_MODEL, { 'config.json': textConfig, 'model.safetensors': weights, ...tokenizer });

  // A safetensors header that claims more bytes than the file holds.
  const header = new TextEncoder().encode(
    JSON.stringify({ 'wte.weight': { dtype: 'F32', shape: [300, 48], data_offsets: [0, 57600] } }),
  );
  const malformed = new Uint8Array(8 + header.length + 100);
  new DataView(malformed.buffer).setBigUint64(0, BigInt(header.length), true);
  malformed.set(header, 8);
  await make('malformed', { 'config.json': textConfig, 'model.safetensors': malformed, ...tokenizer });

  await make('unsupported', {
    'config.json': JSON.stringify({
      model_type: 'bert',
      hidden_size: 48,
      num_hidden_layers: 2,
      vocab_size: 300,
    }),
    'model.safetensors': weights,
    ...tokenizer,
  });

  // 48 layers at d_model 16384: hundreds of GB, refused from config.json before any download.
  await make('too-large', {
    'config.json': JSON.stringify({
      ...TEXT_CONFIG,
      n_embd: 16384,
      n_layer: 48,
      n_head: 128,
      vocab_size: 50257,
      n_positions: 2048,
    }),
    ...tokenizer,
  });
  // An unsupported model_type written as markup: the page must show it as text.
  await make('markup', {
    'config.json': JSON.stringify({ model_type: '<img src=x onerror="window.__pwned=1">', hidden_size: 8 }),
    ...tokenizer,
  });
  return folder;
}

/** The tokenizer has 275 ids; the vocabulary is padded to 320 as real checkpoints often are. */
const TEXT_CONFIG = {
  architectures: ['GPT2LMHeadModel'],
  model_type: 'gpt2',
  vocab_size: 320,
  n_positions: 1024,
  n_embd: 128,
  n_layer: 4,
  n_head: 4,
  n_inner: null,
  activation_function: 'gelu_new',
  layer_norm_epsilon: 1e-5,
  tie_word_embeddings: true,
  bos_token_id: 272,
  eos_token_id: 274,
  torch_dtype: 'float32',
};

/** Hugging Face GPT-2 names and Conv1D layouts ([in, out]); deterministic pseudo-random values. */
function gpt2Weights(): Uint8Array {
  const { vocab_size: V, n_positions: P, n_embd: d, n_layer: L } = TEXT_CONFIG;
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32 - 0.5;
  };
  const t = (shape: number[], scale = 0.2, base = 0): HostTensor => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => base + scale * rand()),
  });
  const tensors: Record<string, HostTensor> = { 'wte.weight': t([V, d], 0.5), 'wpe.weight': t([P, d], 0.1) };
  for (let l = 0; l < L; l++) {
    const h = `h.${l}`;
    Object.assign(tensors, {
      [`${h}.ln_1.weight`]: t([d], 0.2, 1),
      [`${h}.ln_1.bias`]: t([d], 0.05),
      [`${h}.attn.c_attn.weight`]: t([d, 3 * d]),
      [`${h}.attn.c_attn.bias`]: t([3 * d], 0.05),
      [`${h}.attn.c_proj.weight`]: t([d, d]),
      [`${h}.attn.c_proj.bias`]: t([d], 0.05),
      [`${h}.ln_2.weight`]: t([d], 0.2, 1),
      [`${h}.ln_2.bias`]: t([d], 0.05),
      [`${h}.mlp.c_fc.weight`]: t([d, 4 * d]),
      [`${h}.mlp.c_fc.bias`]: t([4 * d], 0.05),
      [`${h}.mlp.c_proj.weight`]: t([4 * d, d]),
      [`${h}.mlp.c_proj.bias`]: t([d], 0.05),
    });
  }
  tensors['ln_f.weight'] = t([d], 0.2, 1);
  tensors['ln_f.bias'] = t([d], 0.05);
  return writeSafetensors(tensors, { format: 'pt' });
}
