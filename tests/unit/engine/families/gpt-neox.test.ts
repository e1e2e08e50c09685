import { describe, expect, it } from 'vitest';
import { toCanonical } from '../../../../src/engine/families';
import { specFromHf } from '../../../../src/engine/families/gpt-neox';
import { parameterCount } from '../../../../src/engine/spec';
import { at, checkpointOf, hubConfig } from './helpers';

const tiny = {
  model_type: 'gpt_neox',
  hidden_size: 8,
  intermediate_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  vocab_size: 10,
  max_position_embeddings: 32,
  rotary_pct: 0.5,
};

function neoxShapes() {
  const h = 'gpt_neox.layers.0';
  return {
    'gpt_neox.embed_in.weight': [10, 8],
    [`${h}.input_layernorm.weight`]: [8],
    [`${h}.input_layernorm.bias`]: [8],
    [`${h}.post_attention_layernorm.weight`]: [8],
    [`${h}.post_attention_layernorm.bias`]: [8],
    [`${h}.attention.query_key_value.weight`]: [24, 8],
    [`${h}.attention.query_key_value.bias`]: [24],
    [`${h}.attention.dense.weight`]: [8, 8],
    [`${h}.attention.dense.bias`]: [8],
    [`${h}.attention.bias`]: [1, 1, 32, 32],
    [`${h}.attention.masked_bias`]: [1],
    [`${h}.attention.rotary_emb.inv_freq`]: [1],
    [`${h}.mlp.dense_h_to_4h.weight`]: [16, 8],
    [`${h}.mlp.dense_h_to_4h.bias`]: [16],
    [`${h}.mlp.dense_4h_to_h.weight`]: [8, 16],
    [`${h}.mlp.dense_4h_to_h.bias`]: [8],
    'gpt_neox.final_layer_norm.weight': [8],
    'gpt_neox.final_layer_norm.bias': [8],
    'embed_out.weight': [10, 8],
  } as Record<string, readonly number[]>;
}

describe('gpt_neox config', () => {
  it('reads pythia-160m: parallel residual, a quarter of each head rotating, 162,322,944 parameters', () => {
    const spec = specFromHf(hubConfig('EleutherAI--pythia-160m'));
    expect(spec).toMatchObject({
      modelType: 'gpt_neox',
      nLayers: 12,
      dModel: 768,
      nHeads: 12,
      dHead: 64,
      norm: 'layer',
      mlp: 'gelu',
      act: 'gelu',
      qkvBias: true,
      outBias: true,
      mlpBias: true,
      tiedEmbeddings: false,
      parallelResidual: true,
      rotary: { theta: 10000, dim: 16, layout: 'half' },
    });
    expect(parameterCount(spec)).toBe(162_322_944);
  });

  it('refuses rope_scaling and a rotary_pct that leaves an odd number of rotating dims', () => {
    expect(() => specFromHf({ ...tiny, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(
      /"rope_scaling"/,
    );
    expect(() => specFromHf({ ...tiny, rotary_pct: 0.25 })).toThrow(/"rotary_pct": 0.25.*even number/);
  });
});

describe('gpt_neox weights', () => {
  it('regroups query_key_value, stored per head as [q, k, v], into heads side by side', () => {
    const spec = specFromHf(tiny);
    const ckpt = checkpointOf(neoxShapes());
    const w = toCanonical(spec, ckpt);
    const src = ckpt.tensors.get('gpt_neox.layers.0.attention.query_key_value.weight')!;
    const bias = ckpt.tensors.get('gpt_neox.layers.0.attention.query_key_value.bias')!.data;
    const D = 4;
    ['W_Q', 'W_K', 'W_V'].forEach((name, j) => {
      const W = w.get(`blocks.0.attn.${name}`)!;
      const b = w.get(`blocks.0.attn.b_${name.slice(2)}`)!.data;
      expect(W.shape).toEqual([8, 8]);
      for (let h = 0; h < 2; h++)
        for (let e = 0; e < D; e++) {
          const row = h * 3 * D + j * D + e; // query_key_value's output row
          for (let i = 0; i < 8; i++) expect(at(W, i, h * D + e)).toBe(at(src, row, i));
          expect(b[h * D + e]).toBe(bias[row]);
        }
    });
    expect(ckpt.reads).not.toContain('gpt_neox.layers.0.attention.bias');
    expect(w.get('unembed.W_U')!.data).toBe(ckpt.tensors.get('embed_out.weight')!.data);
  });
});
