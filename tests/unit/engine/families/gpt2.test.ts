import { describe, expect, it } from 'vitest';
import { ShapeMismatchError } from '../../../../src/engine/errors';
import { toCanonical } from '../../../../src/engine/families';
import { specFromHf } from '../../../../src/engine/families/gpt2';
import { expectedWeights } from '../../../../src/engine/spec';
import { at, checkpointOf } from './helpers';

const d = 8;
const config = { model_type: 'gpt2', n_embd: d, n_head: 2, n_layer: 2, vocab_size: 11, n_positions: 5 };
const spec = specFromHf(config);

/** HF GPT-2 names and shapes (GPT2Model save, no prefix), with the causal-mask buffers. */
function gpt2Shapes(prefix = '', extra: Record<string, readonly number[]> = {}) {
  const s: Record<string, readonly number[]> = {
    [`${prefix}wte.weight`]: [11, d],
    [`${prefix}wpe.weight`]: [5, d],
    [`${prefix}ln_f.weight`]: [d],
    [`${prefix}ln_f.bias`]: [d],
  };
  for (let l = 0; l < 2; l++) {
    const h = `${prefix}h.${l}`;
    Object.assign(s, {
      [`${h}.ln_1.weight`]: [d],
      [`${h}.ln_1.bias`]: [d],
      [`${h}.attn.c_attn.weight`]: [d, 3 * d],
      [`${h}.attn.c_attn.bias`]: [3 * d],
      [`${h}.attn.c_proj.weight`]: [d, d],
      [`${h}.attn.c_proj.bias`]: [d],
      [`${h}.attn.bias`]: [1, 1, 5, 5],
      [`${h}.attn.masked_bias`]: [],
      [`${h}.ln_2.weight`]: [d],
      [`${h}.ln_2.bias`]: [d],
      [`${h}.mlp.c_fc.weight`]: [d, 4 * d],
      [`${h}.mlp.c_fc.bias`]: [4 * d],
      [`${h}.mlp.c_proj.weight`]: [4 * d, d],
      [`${h}.mlp.c_proj.bias`]: [d],
    });
  }
  return { ...s, ...extra };
}

describe('gpt2 config', () => {
  it('reads the GPT-2 fields into a LayerNorm, learned-position, biased, tied spec', () => {
    expect(spec).toMatchObject({
      modelType: 'gpt2',
      nLayers: 2,
      dModel: 8,
      nHeads: 2,
      nKvHeads: 2,
      dHead: 4,
      dMlp: 32,
      vocabSize: 11,
      nCtx: 5,
      norm: 'layer',
      normEps: 1e-5,
      pos: 'learned',
      mlp: 'gelu',
      act: 'gelu_new',
      qkvBias: true,
      outBias: true,
      tiedEmbeddings: true,
      eosTokenIds: [],
    });
    expect(spec.rotary).toBeUndefined();
  });

  it('uses n_inner when the config sets it', () => {
    expect(specFromHf({ ...config, n_inner: 20 }).dMlp).toBe(20);
  });

  it('refuses activations and attention options it cannot compute exactly', () => {
    expect(() => specFromHf({ ...config, activation_function: 'relu' })).toThrow(
      /"activation_function".*gelu_new/,
    );
    expect(() => specFromHf({ ...config, scale_attn_by_inverse_layer_idx: true })).toThrow(
      /scale_attn_by_inverse_layer_idx/,
    );
  });

  it('refuses a head count that does not divide n_embd', () => {
    expect(() => specFromHf({ ...config, n_head: 3 })).toThrow(
      /"n_embd" \(8\) is not a multiple of "n_head" \(3\)/,
    );
  });
});

describe('gpt2 weights', () => {
  it('splits c_attn column-wise into W_Q | W_K | W_V and its bias likewise', () => {
    const ckpt = checkpointOf(gpt2Shapes());
    const w = toCanonical(spec, ckpt);
    for (let l = 0; l < 2; l++) {
      const cAttn = ckpt.tensors.get(`h.${l}.attn.c_attn.weight`)!;
      const bias = ckpt.tensors.get(`h.${l}.attn.c_attn.bias`)!;
      ['W_Q', 'W_K', 'W_V'].forEach((name, k) => {
        const m = w.get(`blocks.${l}.attn.${name}`)!;
        expect(m.shape).toEqual([d, d]);
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++) expect(at(m, i, j)).toBe(at(cAttn, i, k * d + j));
        const b = w.get(`blocks.${l}.attn.${name.replace('W', 'b')}`)!;
        expect([...b.data]).toEqual([...bias.data.subarray(k * d, (k + 1) * d)]);
      });
    }
  });

  it('keeps Conv1D weights as they are, since they are already [in, out]', () => {
    const ckpt = checkpointOf(gpt2Shapes());
    const w = toCanonical(spec, ckpt);
    expect(w.get('blocks.1.mlp.W_in')!.data).toBe(ckpt.tensors.get('h.1.mlp.c_fc.weight')!.data);
    expect(w.get('blocks.1.mlp.W_out')!.shape).toEqual([32, d]);
    expect(w.get('blocks.1.mlp.W_out')!.data).toBe(ckpt.tensors.get('h.1.mlp.c_proj.weight')!.data);
    expect(w.get('blocks.0.attn.W_O')!.data).toBe(ckpt.tensors.get('h.0.attn.c_proj.weight')!.data);
    expect(w.get('embed.W_E')!.data).toBe(ckpt.tensors.get('wte.weight')!.data);
    expect(w.get('pos_embed.W_pos')!.data).toBe(ckpt.tensors.get('wpe.weight')!.data);
    expect(w.get('ln_final.b')!.data).toBe(ckpt.tensors.get('ln_f.bias')!.data);
  });

  it('produces exactly the canonical names and shapes of the spec', () => {
    const w = toCanonical(spec, checkpointOf(gpt2Shapes()));
    const expected = expectedWeights(spec);
    expect([...w.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [name, shape] of expected) expect(w.get(name)!.shape).toEqual(shape);
  });

  it('reads transformer.-prefixed saves with an lm_head the same as unprefixed ones, ignoring the tied copy', () => {
    const plain = checkpointOf(gpt2Shapes());
    const prefixed = checkpointOf(gpt2Shapes('transformer.', { 'lm_head.weight': [11, d] }));
    const a = toCanonical(spec, plain);
    const b = toCanonical(spec, prefixed);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a) expect([...b.get(name)!.data]).toEqual([...t.data]);
    expect(b.has('unembed.W_U')).toBe(false);
    // Neither the tied copy nor the mask buffers are read: they cost time and memory at load.
    expect(
      prefixed.reads.filter((n) => n === 'lm_head.weight' || /\.attn\.(bias|masked_bias)$/.test(n)),
    ).toEqual([]);
  });

  it('uses lm_head as W_U, unchanged, when the embeddings are not tied', () => {
    const untied = specFromHf({ ...config, tie_word_embeddings: false });
    const ckpt = checkpointOf(gpt2Shapes('transformer.', { 'lm_head.weight': [11, d] }));
    const w = toCanonical(untied, ckpt);
    expect(w.get('unembed.W_U')!.shape).toEqual([11, d]);
    expect(w.get('unembed.W_U')!.data).toBe(ckpt.tensors.get('lm_head.weight')!.data);
  });

  it('lists every missing, unexpected and wrongly shaped tensor in one error', () => {
    const shapes = gpt2Shapes('', { 'h.0.attn.rotary.weight': [d], 'h.1.ln_2.weight': [d + 1] });
    delete shapes['h.1.mlp.c_fc.bias'];
    delete shapes['ln_f.weight'];
    let error: unknown;
    try {
      toCanonical(spec, checkpointOf(shapes));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ShapeMismatchError);
    const msg = (error as Error).message;
    expect(msg).toContain('missing (2):');
    expect(msg).toContain('h.1.mlp.c_fc.bias (for blocks.1.mlp.b_in)');
    expect(msg).toContain('ln_f.weight (for ln_final.w)');
    expect(msg).toContain('unexpected (1):');
    expect(msg).toContain('h.0.attn.rotary.weight');
    expect(msg).toContain('wrong shape (1):');
    expect(msg).toContain('h.1.ln_2.weight is [9], expected [8]');
    expect(msg).toContain('gpt2: 2 layers, d_model 8');
  });

  it('reports a tensor saved under both spellings as a duplicate', () => {
    const shapes = gpt2Shapes('', { 'transformer.wte.weight': [11, d] });
    expect(() => toCanonical(spec, checkpointOf(shapes))).toThrow(
      /transformer\.wte\.weight \(duplicates wte\.weight\)/,
    );
  });

  it('rejects a checkpoint of a deeper model instead of silently dropping its extra layers', () => {
    const deeper = specFromHf({ ...config, n_layer: 3 });
    const shallow = specFromHf({ ...config, n_layer: 1 });
    expect(() => toCanonical(deeper, checkpointOf(gpt2Shapes()))).toThrow(/missing \(12\)/);
    expect(() => toCanonical(shallow, checkpointOf(gpt2Shapes()))).toThrow(/unexpected \(12\)/);
  });
});
