import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../../../../src/engine/errors';
import { toCanonical } from '../../../../src/engine/families';
import { specFromHf } from '../../../../src/engine/families/phi3';
import { parameterCount } from '../../../../src/engine/spec';
import { at, checkpointOf, hubConfig } from './helpers';

const tiny = {
  model_type: 'phi3',
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  vocab_size: 10,
  max_position_embeddings: 32,
};

describe('phi3 config', () => {
  it('reads Phi-3-mini-4k-instruct: a 2047-token window on every layer, 3,821,079,552 parameters', () => {
    const spec = specFromHf(hubConfig('microsoft--Phi-3-mini-4k-instruct'));
    expect(spec).toMatchObject({ modelType: 'phi3', nLayers: 32, dModel: 3072, nHeads: 32, dHead: 96 });
    expect(spec.slidingWindow?.size).toBe(2047);
    expect(spec.slidingWindow?.layers).toHaveLength(32);
    expect(spec.rotary).toEqual({ theta: 10000, dim: 96, layout: 'half' });
    expect(parameterCount(spec)).toBe(3_821_079_552);
  });

  it('refuses the long-context rope variants by name and reads partial_rotary_factor', () => {
    for (const type of ['longrope', 'su']) {
      const call = () => specFromHf({ ...tiny, rope_scaling: { type, short_factor: [1], long_factor: [1] } });
      expect(call).toThrow(UnsupportedModelError);
      expect(call).toThrow(new RegExp(`rotary scaling of type "${type}" is not implemented`));
    }
    const twoHeads = { ...tiny, num_attention_heads: 2, num_key_value_heads: 2 }; // head_dim 4
    expect(specFromHf({ ...twoHeads, partial_rotary_factor: 0.5 }).rotary?.dim).toBe(2);
    expect(() => specFromHf({ ...tiny, partial_rotary_factor: 0.5 })).toThrow(/"partial_rotary_factor": 0.5/);
  });
});

describe('phi3 weights', () => {
  it('splits qkv_proj into q | k | v and gate_up_proj into gate | up, each transposed to [in, out]', () => {
    const spec = specFromHf(tiny);
    const h = 'model.layers.0';
    const ckpt = checkpointOf({
      'model.embed_tokens.weight': [10, 8],
      [`${h}.input_layernorm.weight`]: [8],
      [`${h}.self_attn.qkv_proj.weight`]: [16, 8],
      [`${h}.self_attn.o_proj.weight`]: [8, 8],
      [`${h}.post_attention_layernorm.weight`]: [8],
      [`${h}.mlp.gate_up_proj.weight`]: [24, 8],
      [`${h}.mlp.down_proj.weight`]: [8, 12],
      'model.norm.weight': [8],
      'lm_head.weight': [10, 8],
    });
    const w = toCanonical(spec, ckpt);
    const qkv = ckpt.tensors.get(`${h}.self_attn.qkv_proj.weight`)!;
    const gateUp = ckpt.tensors.get(`${h}.mlp.gate_up_proj.weight`)!;
    // q: rows 0..7, k: 8..11, v: 12..15 of qkv_proj; gate: rows 0..11, up: 12..23 of gate_up_proj.
    expect(at(w.get('blocks.0.attn.W_Q')!, 2, 7)).toBe(at(qkv, 7, 2));
    expect(at(w.get('blocks.0.attn.W_K')!, 2, 3)).toBe(at(qkv, 11, 2));
    expect(at(w.get('blocks.0.attn.W_V')!, 5, 0)).toBe(at(qkv, 12, 5));
    expect(at(w.get('blocks.0.mlp.W_gate')!, 1, 11)).toBe(at(gateUp, 11, 1));
    expect(at(w.get('blocks.0.mlp.W_in')!, 1, 0)).toBe(at(gateUp, 12, 1));
  });
});
