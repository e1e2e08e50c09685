import { beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, loadModel } from '../../../../src/engine';
import { UnsupportedModelError } from '../../../../src/engine/errors';
import { specFromConfig } from '../../../../src/engine/families';
import { MAX_VOCAB } from '../../../../src/engine/families/bounds';
import { checkFits, estimateMemory } from '../../../../src/engine/memory';
import { filesSource } from '../../../../src/engine/weights/source';
import { useBackend } from '../../../support/backend';
import { referenceFolder } from '../../../support/golden';
import { hubConfig } from './helpers';

type Config = Record<string, unknown>;
const qwen = hubConfig('Qwen--Qwen2.5-0.5B-Instruct') as Config;
const gpt2 = hubConfig('openai-community--gpt2') as Config;
const gemma2 = hubConfig('google--gemma-2-2b-it') as Config;
const pythia = hubConfig('EleutherAI--pythia-160m') as Config;
const phi3 = hubConfig('microsoft--Phi-3-mini-4k-instruct') as Config;
const llama3 = hubConfig('meta-llama--Llama-3.2-1B-Instruct') as Config;
const llama3Scaling = llama3.rope_scaling as Config;

function refusal(config: unknown): string {
  try {
    specFromConfig(config);
  } catch (e) {
    expect(e).toBeInstanceOf(UnsupportedModelError);
    return (e as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('config.json bounds', () => {
  it('refuses num_hidden_layers: 1000000 at once, naming the field and the bound', () => {
    const start = performance.now();
    expect(refusal({ ...qwen, num_hidden_layers: 1_000_000 })).toBe(
      'config.json: field "num_hidden_layers" must be a positive integer no larger than 1024, but it is number 1000000.',
    );
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('bounds every integer field, the ones of either family and unknown ones alike', () => {
    for (const [config, key] of [
      [gpt2, 'n_layer'],
      [gpt2, 'n_embd'],
      [gpt2, 'n_head'],
      [gpt2, 'n_inner'],
      [gpt2, 'n_positions'],
      [gpt2, 'vocab_size'],
      [qwen, 'hidden_size'],
      [qwen, 'intermediate_size'],
      [qwen, 'num_key_value_heads'],
      [qwen, 'max_position_embeddings'],
      [qwen, 'head_dim'],
    ] as const) {
      expect(refusal({ ...config, [key]: 1e15 })).toMatch(
        new RegExp(`field "${key}" must be .* no larger than`),
      );
    }
    expect(refusal({ ...qwen, model_type: 'mistral', sliding_window: 2 ** 40 })).toMatch(/"sliding_window"/);
  });

  it('accepts the largest vocabulary and token ids the bounds allow, and refuses one past them', () => {
    expect(specFromConfig({ ...qwen, vocab_size: MAX_VOCAB }).vocabSize).toBe(MAX_VOCAB);
    expect(refusal({ ...qwen, eos_token_id: MAX_VOCAB })).toMatch(/"eos_token_id" must be a token id/);
    expect(refusal({ ...qwen, bos_token_id: 1e9 })).toMatch(/"bos_token_id"/);
    expect(refusal({ ...qwen, eos_token_id: new Array(10_000).fill(1) })).toMatch(/at most 256/);
  });

  it('bounds the real-valued fields: an epsilon above 1 or a rotary base of 1e300 is refused', () => {
    expect(refusal({ ...qwen, rms_norm_eps: 2 })).toMatch(
      /"rms_norm_eps" must be a positive number no larger than 1/,
    );
    expect(refusal({ ...qwen, rope_theta: 1e300 })).toMatch(/"rope_theta"/);
    expect(refusal({ ...gpt2, layer_norm_epsilon: 1e308 })).toMatch(/"layer_norm_epsilon"/);
  });

  it('keeps a long value out of the message', () => {
    const message = refusal({ ...gpt2, activation_function: 'x'.repeat(1_000_000) });
    expect(message.length).toBeLessThan(300);
  });

  it('refuses an activation named after an Object.prototype member', () => {
    expect(refusal({ ...gpt2, activation_function: 'constructor' })).toMatch(/"activation_function"/);
  });

  it('estimates memory without listing every layer, so a deep spec is refused at once', () => {
    // A spec as deep as no config may claim: the estimate's cost must not grow with the depth.
    const spec = { ...specFromConfig(qwen), nLayers: 1_000_000 };
    const start = performance.now();
    const e = estimateMemory(spec, { contextTokens: 1024 });
    expect(performance.now() - start).toBeLessThan(50);
    const perLayer =
      estimateMemory({ ...spec, nLayers: 2 }, { contextTokens: 1 }).weightBytes -
      estimateMemory({ ...spec, nLayers: 1 }, { contextTokens: 1 }).weightBytes;
    expect(e.weightBytes).toBe(
      estimateMemory({ ...spec, nLayers: 1 }, { contextTokens: 1 }).weightBytes + 999_999 * perLayer,
    );
    expect(() => checkFits(e, { backend: 'wasm', maxTotalBytes: 2 ** 31, maxTensorBytes: 2 ** 31 })).toThrow(
      /needs about .* TB/,
    );
  });
});

describe('config.json bounds of the rotary, Gemma 2, GPT-NeoX and Phi-3 fields', () => {
  it("names rope_scaling's fields with their object and refuses values outside their range", () => {
    const scaled = (patch: Config) => ({ ...llama3, rope_scaling: { ...llama3Scaling, ...patch } });
    expect(refusal(scaled({ factor: 1e-300 }))).toBe(
      'config.json: field "rope_scaling.factor" must be a number from 0.001 to 1000000, but it is number 1e-300.',
    );
    expect(refusal(scaled({ factor: 1e300 }))).toMatch(/"rope_scaling\.factor"/);
    expect(refusal(scaled({ low_freq_factor: 1e-300 }))).toMatch(/"rope_scaling\.low_freq_factor"/);
    expect(refusal(scaled({ high_freq_factor: 1e300 }))).toMatch(/"rope_scaling\.high_freq_factor"/);
    for (const bad of [0.5, 1e30])
      expect(refusal(scaled({ original_max_position_embeddings: bad }))).toMatch(
        /"rope_scaling\.original_max_position_embeddings" must be a number from 1 to/,
      );
    expect(refusal({ ...qwen, rope_scaling: { type: 'linear', factor: 1e-9 } })).toMatch(
      /"rope_scaling\.factor"/,
    );
  });

  it('refuses llama3 scaling whose frequency band is empty or reversed (its interpolation divides by their difference)', () => {
    for (const high_freq_factor of [1, 0.5])
      expect(refusal({ ...llama3, rope_scaling: { ...llama3Scaling, high_freq_factor } })).toMatch(
        /"rope_scaling": .* "high_freq_factor" must be larger than "low_freq_factor"/,
      );
  });

  it('bounds the rotary base from below, where θ^(−2i/d) overflows float32', () => {
    expect(refusal({ ...llama3, rope_theta: 1e-300 })).toBe(
      'config.json: field "rope_theta" must be a number from 1 to 1000000000000, but it is number 1e-300.',
    );
    expect(refusal({ ...pythia, rotary_emb_base: 1e-300 })).toMatch(
      /"rotary_emb_base" must be a number from 1/,
    );
    expect(refusal({ ...pythia, rotary_emb_base: 1e300 })).toMatch(/"rotary_emb_base"/);
  });

  it("bounds Gemma 2's soft-caps and query_pre_attn_scalar on both sides", () => {
    for (const key of ['attn_logit_softcapping', 'final_logit_softcapping', 'query_pre_attn_scalar']) {
      // 1e-50 is positive in JavaScript and 0 in float32: a cap of 0 divides the scores by zero.
      expect(refusal({ ...gemma2, [key]: 1e-50 })).toMatch(
        new RegExp(`"${key}" must be a number from 0.001 to`),
      );
      expect(refusal({ ...gemma2, [key]: 1e300 })).toMatch(
        new RegExp(`"${key}" must be a number from 0.001 to`),
      );
    }
    for (const sliding_window of [0, 2 ** 40])
      expect(refusal({ ...gemma2, sliding_window })).toMatch(/"sliding_window" must be a positive integer/);
    expect(refusal({ ...gemma2, head_dim: 1e6 })).toMatch(
      /"head_dim" must be a positive integer no larger than 4096/,
    );
  });

  it("bounds GPT-NeoX's and Phi-3's rotating share of a head and GPT-NeoX's epsilon", () => {
    expect(refusal({ ...pythia, rotary_pct: 5 })).toBe(
      'config.json: field "rotary_pct" must be a positive number no larger than 1, but it is number 5.',
    );
    expect(refusal({ ...phi3, partial_rotary_factor: 2 })).toMatch(
      /"partial_rotary_factor" must be a positive number no larger than 1/,
    );
    expect(refusal({ ...pythia, layer_norm_eps: 5 })).toMatch(/"layer_norm_eps" must be a positive number/);
  });

  it('refuses an activation named after an Object.prototype member in every family', () => {
    expect(refusal({ ...gemma2, hidden_activation: 'constructor' })).toMatch(/"hidden_activation"/);
    expect(refusal({ ...pythia, hidden_act: '__proto__' })).toMatch(/"hidden_act"/);
  });

  describe('the values at the bounds still compute finite logits', () => {
    beforeAll(() => useBackend('wasm'));

    /** Loads a reference fixture with `patch` over its config.json and runs three tokens. */
    async function lastLogits(name: string, patch: Config): Promise<Float32Array> {
      const { config, files } = referenceFolder(name);
      files.push(new File([JSON.stringify({ ...config, ...patch })], `${name}/config.json`));
      const model = await loadModel(filesSource(files), { contextTokens: 64 });
      try {
        const result = model.run([[1, 2, 3]], { logits: 'last' });
        const logits = result.logits!.dataSync() as Float32Array;
        disposeResult(result);
        return logits;
      } finally {
        model.dispose();
      }
    }

    it.each([
      [
        'gemma2-tiny',
        { attn_logit_softcapping: 1e-3, final_logit_softcapping: 1e-3, query_pre_attn_scalar: 1e-3 },
      ],
      [
        'gemma2-tiny',
        { attn_logit_softcapping: 1e6, final_logit_softcapping: 1e6, query_pre_attn_scalar: 1e12 },
      ],
      ['gemma2-tiny', { rms_norm_eps: 1, sliding_window: 1 }],
      ['pythia-tiny', { rotary_emb_base: 1, rotary_pct: 1, layer_norm_eps: 1 }],
      // A share that rounds to no rotating dims: transformers then rotates none, and so do we.
      ['pythia-tiny', { rotary_emb_base: 1e12, rotary_pct: 0.01 }],
      ['phi3-tiny', { rope_theta: 1, partial_rotary_factor: 0.01 }],
      [
        'llama3-rope-bias',
        {
          rope_theta: 1,
          rope_scaling: {
            rope_type: 'llama3',
            factor: 1e-3,
            low_freq_factor: 1e-3,
            high_freq_factor: 1e6,
            original_max_position_embeddings: 2 ** 24,
          },
        },
      ],
      [
        'llama3-rope-bias',
        {
          rope_theta: 1e12,
          rope_scaling: {
            rope_type: 'llama3',
            factor: 1e6,
            low_freq_factor: 1e-3,
            high_freq_factor: 1e6,
            original_max_position_embeddings: 1,
          },
        },
      ],
    ] as const)('%s with %j', async (name, patch) => {
      const logits = await lastLogits(name, patch);
      expect(logits.length).toBeGreaterThan(0);
      expect(logits.every(Number.isFinite)).toBe(true);
    });
  });
});
