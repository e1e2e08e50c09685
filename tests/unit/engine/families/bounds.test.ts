import { describe, expect, it } from 'vitest';
import { UnsupportedModelError } from '../../../../src/engine/errors';
import { specFromConfig } from '../../../../src/engine/families';
import { MAX_VOCAB } from '../../../../src/engine/families/bounds';
import { checkFits, estimateMemory } from '../../../../src/engine/memory';
import { hubConfig } from './helpers';

const qwen = hubConfig('Qwen--Qwen2.5-0.5B-Instruct') as Record<string, unknown>;
const gpt2 = hubConfig('openai-community--gpt2') as Record<string, unknown>;

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
