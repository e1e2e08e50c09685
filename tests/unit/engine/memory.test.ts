import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../src/engine/bytes';
import { TooLargeError, UnsupportedModelError } from '../../../src/engine/errors';
import { specFromConfig } from '../../../src/engine/families';
import {
  type BackendLimits,
  checkFits,
  estimateFromConfig,
  estimateMemory,
} from '../../../src/engine/memory';
import { parameterCount } from '../../../src/engine/spec';
import { hubConfig } from './families/helpers';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const tiny = specFromConfig({
  model_type: 'gpt2',
  n_embd: 8,
  n_head: 2,
  n_layer: 2,
  vocab_size: 11,
  n_positions: 5,
});
const gpt2 = specFromConfig(hubConfig('openai-community--gpt2'));
const qwen = specFromConfig(hubConfig('Qwen--Qwen2.5-0.5B-Instruct'));
const wasm: BackendLimits = { backend: 'wasm', maxTotalBytes: 2 * GiB, maxTensorBytes: 2 * GiB };

describe('estimateMemory', () => {
  it('adds weights, KV cache and the peak activation of one forward, in float32 bytes', () => {
    const e = estimateMemory(tiny, { contextTokens: 4 });
    expect(e.weightBytes).toBe(4 * 1888);
    // 2 (k, v) × 2 layers × 4 positions × 2 KV heads × d_head 4
    expect(e.kvCacheBytes).toBe(4 * 128);
    // residual copies 4×32, attention (q/k/v 96 + repeated k/v 64 + scores/pattern 64 + z 32)
    // equal to the MLP's 2×128, and one row of logits.
    expect(e.activationBytes).toBe(4 * (128 + 256 + 11));
    expect(e.totalBytes).toBe(e.weightBytes + e.kvCacheBytes + e.activationBytes);
    expect(e).toMatchObject({ largestTensorName: 'blocks.0.mlp.W_in', largestTensorBytes: 4 * 256 });
    expect(estimateMemory(tiny, { contextTokens: 4, fullLogits: true }).activationBytes).toBe(
      4 * (128 + 256 + 44),
    );
  });

  it('scales the KV cache with batch and context', () => {
    const one = estimateMemory(gpt2, { contextTokens: 1024 });
    const four = estimateMemory(gpt2, { contextTokens: 512, batch: 4 });
    expect(one.weightBytes).toBe(4 * 124_439_808);
    expect(one.kvCacheBytes).toBe(2 * 12 * 1024 * 12 * 64 * 4);
    expect(four.kvCacheBytes).toBe(2 * one.kvCacheBytes);
    expect(four.batch).toBe(4);
  });

  it('gives Qwen2.5-0.5B about 2.4 GB at 2048 tokens, its embedding being the largest tensor', () => {
    const e = estimateMemory(qwen, { contextTokens: 2048 });
    expect(e.weightBytes).toBe(4 * parameterCount(qwen));
    expect(e.kvCacheBytes).toBe(50_331_648);
    expect(e.activationBytes).toBe(531_187_200);
    expect(e.totalBytes).toBe(2_557_649_920);
    expect(e).toMatchObject({ largestTensorName: 'embed.W_E', largestTensorBytes: 4 * 151936 * 896 });
  });

  it('names the logits as the largest tensor when every position is unembedded', () => {
    const e = estimateMemory(gpt2, { contextTokens: 1024, fullLogits: true });
    expect(e).toMatchObject({ largestTensorName: 'logits', largestTensorBytes: 4 * 1024 * 50257 });
  });

  it('counts the matrices at 2 bytes with halfMatrices, plus the largest one in float32 while loading', () => {
    const full = estimateMemory(gpt2, { contextTokens: 1024 });
    const half = estimateMemory(gpt2, { contextTokens: 1024, halfMatrices: true });
    // Per layer W_QKV 768×2304, W_O 768×768, W_in and W_out 768×3072; the tied unembedding 50257×768.
    const matrices = 12 * 768 * (2304 + 768 + 2 * 3072) + 50257 * 768;
    expect(half.weightBytes).toBe(full.weightBytes - 2 * matrices);
    expect(half.weightBytes).toBe(250_695_168);
    expect(half).toMatchObject({ halfMatrices: true, kvCacheBytes: full.kvCacheBytes });
    // Loading holds the unembedding's 154 MB float32 copy beside the panels, more than a pass at 64
    // tokens needs (at 1024, the attention scores need more).
    const short = estimateMemory(gpt2, { contextTokens: 64, halfMatrices: true });
    expect(short.totalBytes).toBe(short.weightBytes + 4 * 50257 * 768);
    expect(half.totalBytes).toBe(half.weightBytes + half.kvCacheBytes + half.activationBytes);
    const tinyHalf = estimateMemory(tiny, { contextTokens: 4, halfMatrices: true });
    expect(tinyHalf.totalBytes).toBe(tinyHalf.weightBytes + tinyHalf.kvCacheBytes + tinyHalf.activationBytes);
  });

  it('refuses a context or batch that is not a positive integer', () => {
    expect(() => estimateMemory(tiny, { contextTokens: 0 })).toThrow(RangeError);
    expect(() => estimateMemory(tiny, { contextTokens: 3, batch: 1.5 })).toThrow(RangeError);
  });
});

describe('checkFits', () => {
  it('refuses Qwen2.5-0.5B on WebAssembly with both figures and what to try', () => {
    const e = estimateMemory(qwen, { contextTokens: 2048 });
    let error: unknown;
    try {
      checkFits(e, wasm, 'Qwen2.5-0.5B');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error).toMatchObject({ code: 'too-large', neededBytes: e.totalBytes, limitBytes: 2 * GiB });
    expect((error as Error).message).toBe(
      'Qwen2.5-0.5B needs about 2.4 GB (1.8 GB of float32 weights, at 2048 tokens of context) but the WebAssembly backend can address at most 2.0 GB; try 16-bit weights (half the memory), a smaller model or a browser with WebGPU.',
    );
  });

  it('passes a model that fits', () => {
    expect(() => checkFits(estimateMemory(gpt2, { contextTokens: 1024 }), wasm)).not.toThrow();
  });

  it('refuses a tensor larger than the backend allows for one tensor, naming it', () => {
    const webgl: BackendLimits = { backend: 'webgl', maxTotalBytes: 8 * GiB, maxTensorBytes: 256 * MiB };
    expect(() => checkFits(estimateMemory(qwen, { contextTokens: 256 }), webgl, 'Qwen2.5-0.5B')).toThrow(
      "Qwen2.5-0.5B's largest tensor (embed.W_E, 519.3 MB) is larger than the WebGL backend allows for one tensor (256.0 MB); try a smaller model.",
    );
    const logits = estimateMemory(gpt2, { contextTokens: 1024, fullLogits: true });
    expect(() => checkFits(logits, { ...webgl, maxTensorBytes: 128 * MiB })).toThrow(/try a shorter context/);
  });

  it('prints enough decimals that a need just over the limit does not read as equal to it', () => {
    const e = { ...estimateMemory(tiny, { contextTokens: 1 }), totalBytes: 2 * GiB + MiB };
    expect(() => checkFits(e, wasm)).toThrow(/needs about 2\.001 GB .* at most 2\.000 GB/);
  });
});

describe('estimateFromConfig (what the page shows before download)', () => {
  const llama = hubConfig('meta-llama--Llama-3.2-1B-Instruct');
  /** tfjs-backend-wasm's limit with headroom, as selectBackend reports it (backend.ts). */
  const wasmHeap: BackendLimits = { backend: 'wasm', maxTotalBytes: 3.5 * GiB, maxTensorBytes: 3.5 * GiB };

  it('gives parameters, the download (bf16: 2 bytes each, or the index total_size) and float32 memory', () => {
    const e = estimateFromConfig(llama, { contextTokens: 1024 });
    expect(e.parameters).toBe(1_235_814_400);
    expect(e.downloadBytes).toBe(2 * 1_235_814_400);
    expect(e.memory.weightBytes).toBe(4 * 1_235_814_400);
    expect(e.memory.contextTokens).toBe(1024);
    const indexed = estimateFromConfig(llama, {
      contextTokens: 1024,
      index: { metadata: { total_size: 2_471_645_184 } },
    });
    expect(indexed.downloadBytes).toBe(2_471_645_184);
    // A context longer than the model's is planned at the model's.
    expect(
      estimateFromConfig(hubConfig('openai-community--gpt2'), { contextTokens: 4096 }).memory.contextTokens,
    ).toBe(1024);
  });

  it('refuses Llama-3.2-1B on WebAssembly: 4.6 GB of float32 weights against a 4 GB wasm32 heap', () => {
    const e = estimateFromConfig(llama, { contextTokens: 1024 });
    expect(() => checkFits(e.memory, wasmHeap, 'meta-llama/Llama-3.2-1B-Instruct')).toThrow(TooLargeError);
    expect(() => checkFits(e.memory, wasmHeap, 'meta-llama/Llama-3.2-1B-Instruct')).toThrow(
      /^meta-llama\/Llama-3\.2-1B-Instruct needs about 5\.0 GB \(4\.6 GB of float32 weights, at 1024 tokens of context\) but the WebAssembly backend can address at most 3\.5 GB/,
    );
    // With 16-bit weights its 2.5 GB of matrices and the unembedding's float32 copy on the way fit.
    const half = estimateFromConfig(llama, { contextTokens: 1024, halfMatrices: true });
    expect(half.memory.totalBytes).toBeLessThan(wasmHeap.maxTotalBytes);
    expect(() => checkFits(half.memory, wasmHeap)).not.toThrow();
    // Qwen2.5-0.5B fits.
    const qwenEstimate = estimateFromConfig(hubConfig('Qwen--Qwen2.5-0.5B-Instruct'), {
      contextTokens: 1024,
    });
    expect(() => checkFits(qwenEstimate.memory, wasmHeap)).not.toThrow();
  });

  it('names what is unsupported instead of estimating a config the engine cannot run', () => {
    expect(() =>
      estimateFromConfig(
        { ...(llama as object), rope_scaling: { rope_type: 'yarn', factor: 4 } },
        { contextTokens: 8 },
      ),
    ).toThrow(UnsupportedModelError);
    expect(() => estimateFromConfig({ model_type: 'bert' }, { contextTokens: 8 })).toThrow(
      /model_type "bert" is not supported/,
    );
  });
});

describe('formatBytes', () => {
  it('writes powers of 1024 as bytes, KB, MB, GB and TB', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1023)).toBe('1023 bytes');
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatBytes(1.5 * MiB)).toBe('1.5 MB');
    expect(formatBytes(2 ** 31)).toBe('2.0 GB');
    expect(formatBytes(3 * 1024 * GiB, 2)).toBe('3.00 TB');
  });
});
