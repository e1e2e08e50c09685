import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../../../../src/engine/errors';
import { toCanonical } from '../../../../src/engine/families';
import { specFromHf } from '../../../../src/engine/families/gemma';
import { parameterCount } from '../../../../src/engine/spec';
import { at, checkpointOf, hubConfig } from './helpers';

const tiny = {
  model_type: 'gemma2',
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 3,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  head_dim: 6,
  vocab_size: 10,
  max_position_embeddings: 32,
  query_pre_attn_scalar: 16,
  sliding_window: 4,
};

function gemmaShapes(layers: number, post: boolean) {
  const s: Record<string, readonly number[]> = {
    'model.embed_tokens.weight': [10, 8],
    'model.norm.weight': [8],
  };
  for (let l = 0; l < layers; l++) {
    const h = `model.layers.${l}`;
    Object.assign(s, {
      [`${h}.input_layernorm.weight`]: [8],
      [`${h}.self_attn.q_proj.weight`]: [12, 8],
      [`${h}.self_attn.k_proj.weight`]: [6, 8],
      [`${h}.self_attn.v_proj.weight`]: [6, 8],
      [`${h}.self_attn.o_proj.weight`]: [8, 12],
      [`${h}.post_attention_layernorm.weight`]: [8],
      [`${h}.mlp.gate_proj.weight`]: [12, 8],
      [`${h}.mlp.up_proj.weight`]: [12, 8],
      [`${h}.mlp.down_proj.weight`]: [8, 12],
    });
    if (post) {
      s[`${h}.pre_feedforward_layernorm.weight`] = [8];
      s[`${h}.post_feedforward_layernorm.weight`] = [8];
    }
  }
  return s;
}

describe('gemma config', () => {
  it('reads gemma-2-2b-it: soft-capping, query_pre_attn_scalar, even layers local, 2,614,341,888 parameters', () => {
    const spec = specFromHf(hubConfig('google--gemma-2-2b-it'));
    expect(spec).toMatchObject({
      modelType: 'gemma2',
      nLayers: 26,
      dModel: 2304,
      nHeads: 8,
      nKvHeads: 4,
      dHead: 256,
      act: 'gelu_new',
      mlp: 'swiglu',
      tiedEmbeddings: true,
      attnScale: 1 / 16,
      attnSoftcap: 50,
      finalSoftcap: 30,
      postNorms: true,
      eosTokenIds: [1, 107],
    });
    expect(spec.embedScale).toBeCloseTo(48, 10);
    expect(spec.slidingWindow).toEqual({
      size: 4096,
      layers: [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24],
    });
    expect(parameterCount(spec)).toBe(2_614_341_888);
  });

  it('gives Gemma 1 the tanh GELU when hidden_activation is absent, and no Gemma 2 switches', () => {
    const spec = specFromHf({ ...tiny, model_type: 'gemma', hidden_act: 'gelu' });
    expect(spec.act).toBe('gelu_new');
    expect(spec).not.toHaveProperty('attnSoftcap');
    expect(spec).not.toHaveProperty('slidingWindow');
    expect(spec).not.toHaveProperty('postNorms');
  });

  it('takes soft-capping defaults when absent, none when null, and layer_types when given', () => {
    expect(specFromHf(tiny)).toMatchObject({ attnSoftcap: 50, finalSoftcap: 30 });
    const off = specFromHf({ ...tiny, attn_logit_softcapping: null, final_logit_softcapping: null });
    expect(off).not.toHaveProperty('attnSoftcap');
    expect(off).not.toHaveProperty('finalSoftcap');
    const types = ['full_attention', 'sliding_attention', 'full_attention'];
    expect(specFromHf({ ...tiny, layer_types: types }).slidingWindow?.layers).toEqual([1]);
    expect(() => specFromHf({ ...tiny, layer_types: ['full_attention'] })).toThrow(
      /"layer_types".*each of the 3 layers/,
    );
  });

  it('refuses an activation it does not compute, naming it', () => {
    expect(() => specFromHf({ ...tiny, hidden_activation: 'relu' })).toThrow(UnsupportedModelError);
    expect(() => specFromHf({ ...tiny, hidden_activation: 'relu' })).toThrow(/"hidden_activation": "relu"/);
  });
});

describe('gemma weights', () => {
  it('stores (1 + w) for every norm and maps Gemma 2 post_attention_layernorm to ln1_post', () => {
    const spec = specFromHf(tiny);
    const ckpt = checkpointOf({ ...gemmaShapes(3, true), 'lm_head.weight': [10, 8] });
    const w = toCanonical(spec, ckpt);
    const plusOne = (ours: string, hf: string) => {
      const got = w.get(ours)!.data;
      const src = ckpt.tensors.get(hf)!.data;
      src.forEach((v, i) => expect(got[i]).toBe(Math.fround(1 + v)));
    };
    plusOne('blocks.1.ln1.w', 'model.layers.1.input_layernorm.weight');
    plusOne('blocks.1.ln1_post.w', 'model.layers.1.post_attention_layernorm.weight');
    plusOne('blocks.1.ln2.w', 'model.layers.1.pre_feedforward_layernorm.weight');
    plusOne('blocks.1.ln2_post.w', 'model.layers.1.post_feedforward_layernorm.weight');
    plusOne('ln_final.w', 'model.norm.weight');
    // The tied copy of the embedding is not read; q_proj is transposed to [in, out].
    expect(ckpt.reads).not.toContain('lm_head.weight');
    expect(at(w.get('blocks.0.attn.W_Q')!, 3, 5)).toBe(
      at(ckpt.tensors.get('model.layers.0.self_attn.q_proj.weight')!, 5, 3),
    );
  });

  it('maps Gemma 1 post_attention_layernorm to ln2 and lists what a Gemma 2 checkpoint lacks', () => {
    const spec = specFromHf({ ...tiny, model_type: 'gemma' });
    expect(toCanonical(spec, checkpointOf(gemmaShapes(3, false))).has('blocks.2.ln2.w')).toBe(true);
    expect(() => toCanonical(specFromHf(tiny), checkpointOf(gemmaShapes(3, false)))).toThrow(
      /missing \(6\):[\s\S]*pre_feedforward_layernorm/,
    );
  });
});
