import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../../../../src/engine/errors';
import { specFromConfig, toCanonical } from '../../../../src/engine/families';
import { parameterCount } from '../../../../src/engine/spec';
import { checkpointOf, hubConfig } from './helpers';

describe('specFromConfig on real Hub configs', () => {
  it('reads openai-community/gpt2 as 124,439,808 parameters with tied embeddings', () => {
    const spec = specFromConfig(hubConfig('openai-community--gpt2'));
    expect(spec).toMatchObject({
      modelType: 'gpt2',
      nLayers: 12,
      dModel: 768,
      nHeads: 12,
      dHead: 64,
      dMlp: 3072,
    });
    expect(spec).toMatchObject({
      vocabSize: 50257,
      nCtx: 1024,
      normEps: 1e-5,
      act: 'gelu_new',
      tiedEmbeddings: true,
    });
    expect(spec).toMatchObject({ bosTokenId: 50256, eosTokenIds: [50256] });
    expect(parameterCount(spec)).toBe(124_439_808);
  });

  it('reads distilbert/distilgpt2 as the 6-layer GPT-2 of 81,912,576 parameters', () => {
    const spec = specFromConfig(hubConfig('distilbert--distilgpt2'));
    expect(spec.nLayers).toBe(6);
    expect(parameterCount(spec)).toBe(81_912_576);
  });

  it('reads SmolLM2-135M-Instruct as a tied grouped-query Llama of about 134.5M parameters', () => {
    const spec = specFromConfig(hubConfig('HuggingFaceTB--SmolLM2-135M-Instruct'));
    expect(spec).toMatchObject({
      modelType: 'llama',
      nLayers: 30,
      dModel: 576,
      nHeads: 9,
      nKvHeads: 3,
      dHead: 64,
    });
    expect(spec).toMatchObject({
      dMlp: 1536,
      vocabSize: 49152,
      nCtx: 8192,
      normEps: 1e-5,
      tiedEmbeddings: true,
    });
    expect(spec.rotary).toEqual({ theta: 100000, dim: 64, layout: 'half' });
    expect(spec).toMatchObject({ qkvBias: false, bosTokenId: 1, eosTokenIds: [2] });
    expect(parameterCount(spec)).toBe(134_515_008);
  });

  it('reads Qwen2.5-0.5B-Instruct with q/k/v biases as about 494M parameters', () => {
    const spec = specFromConfig(hubConfig('Qwen--Qwen2.5-0.5B-Instruct'));
    expect(spec).toMatchObject({
      modelType: 'qwen2',
      nLayers: 24,
      dModel: 896,
      nHeads: 14,
      nKvHeads: 2,
      dHead: 64,
    });
    expect(spec).toMatchObject({
      dMlp: 4864,
      vocabSize: 151936,
      nCtx: 32768,
      normEps: 1e-6,
      tiedEmbeddings: true,
    });
    expect(spec.rotary).toEqual({ theta: 1_000_000, dim: 64, layout: 'half' });
    expect(spec).toMatchObject({ qkvBias: true, outBias: false, bosTokenId: 151643, eosTokenIds: [151645] });
    expect(parameterCount(spec)).toBe(494_032_768);
  });

  it('reads Mistral-7B, v0.1 with its 4096-token sliding window on every layer', () => {
    const v1 = specFromConfig(hubConfig('mistralai--Mistral-7B-v0.1'));
    const v2 = specFromConfig(hubConfig('mistralai--Mistral-7B-Instruct-v0.2'));
    expect(v1).toMatchObject({
      modelType: 'mistral',
      nLayers: 32,
      dModel: 4096,
      nHeads: 32,
      nKvHeads: 8,
      dHead: 128,
    });
    expect(v1).toMatchObject({ nCtx: 32768, tiedEmbeddings: false, qkvBias: false });
    expect(v1.slidingWindow).toEqual({ size: 4096, layers: Array.from({ length: 32 }, (_, l) => l) });
    expect(v2.nCtx).toBe(32768);
    expect(v2.slidingWindow).toBeUndefined();
    expect(v2.rotary?.theta).toBe(1_000_000);
    expect(parameterCount(v1)).toBe(7_241_732_096);
  });
});

describe('specFromConfig errors', () => {
  it('names the supported model types when model_type is unknown', () => {
    const call = () => specFromConfig({ model_type: 'bert', hidden_size: 768 });
    expect(call).toThrow(UnsupportedModelError);
    expect(call).toThrow(
      'config.json: model_type "bert" is not supported. Supported model types: gpt2, llama, qwen2, mistral, gemma, gemma2, gpt_neox, phi3.',
    );
  });

  it('names a missing model_type, a missing field and a wrongly typed one, with the file', () => {
    expect(() => specFromConfig({ hidden_size: 8 })).toThrow(
      /config\.json: field "model_type" must be a string.*missing/,
    );
    const { n_head: _, ...noHeads } = hubConfig('openai-community--gpt2') as Record<string, unknown>;
    expect(() => specFromConfig(noHeads)).toThrow(
      'config.json: field "n_head" must be a positive integer no larger than 1024, but it is missing.',
    );
    const qwen = hubConfig('Qwen--Qwen2.5-0.5B-Instruct') as Record<string, unknown>;
    expect(() => specFromConfig({ ...qwen, hidden_size: '896' })).toThrow(
      'config.json: field "hidden_size" must be a positive integer no larger than 65536, but it is the string "896".',
    );
    expect(() => specFromConfig({ ...qwen, rms_norm_eps: -1 })).toThrow(
      /"rms_norm_eps" must be a positive number/,
    );
    expect(() => specFromConfig({ ...qwen, eos_token_id: [151645, 'x'] })).toThrow(/"eos_token_id"/);
  });

  it('refuses a config that is not a JSON object', () => {
    expect(() => specFromConfig([1, 2])).toThrow(
      'config.json must hold a JSON object, but it holds an array.',
    );
  });

  it('reads a list of eos ids and a null bos id', () => {
    const smol = hubConfig('HuggingFaceTB--SmolLM2-135M-Instruct') as Record<string, unknown>;
    const spec = specFromConfig({ ...smol, bos_token_id: null, eos_token_id: [2, 7] });
    expect(spec.bosTokenId).toBeUndefined();
    expect(spec.eosTokenIds).toEqual([2, 7]);
  });
});

describe('toCanonical dispatch', () => {
  it('sends a spec to the converter of its family', () => {
    const spec = specFromConfig({
      model_type: 'mistral',
      hidden_size: 4,
      intermediate_size: 6,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      vocab_size: 3,
      max_position_embeddings: 8,
      tie_word_embeddings: true,
    });
    const w = toCanonical(
      spec,
      checkpointOf({
        'model.embed_tokens.weight': [3, 4],
        'model.norm.weight': [4],
        'model.layers.0.input_layernorm.weight': [4],
        'model.layers.0.post_attention_layernorm.weight': [4],
        'model.layers.0.self_attn.q_proj.weight': [4, 4],
        'model.layers.0.self_attn.k_proj.weight': [4, 4],
        'model.layers.0.self_attn.v_proj.weight': [4, 4],
        'model.layers.0.self_attn.o_proj.weight': [4, 4],
        'model.layers.0.mlp.gate_proj.weight': [6, 4],
        'model.layers.0.mlp.up_proj.weight': [6, 4],
        'model.layers.0.mlp.down_proj.weight': [4, 6],
      }),
    );
    expect(w.get('blocks.0.mlp.W_out')!.shape).toEqual([6, 4]);
    expect(w.size).toBe(11);
  });
});
