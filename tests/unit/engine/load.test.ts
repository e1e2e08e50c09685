import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  dirSource,
  disposeResult,
  generate,
  loadModel,
  ShapeMismatchError,
  selectBackend,
  TooLargeError,
  UnsupportedModelError,
  WeightsFormatError,
} from '../../../src/engine/node';
import { useBackend } from '../../support/backend';
import { REFERENCE_DIR } from '../../support/golden';
import { expectNoLeaks } from '../../support/leaks';

const GPT2 = join(REFERENCE_DIR, 'gpt2-tiny');

/** A copy of a fixture folder with one file replaced, to break it on purpose. */
function brokenCopy(file: string, contents: string | Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'rudder-broken-'));
  cpSync(GPT2, dir, { recursive: true });
  writeFileSync(join(dir, file), contents);
  return dir;
}

describe('loading a model', () => {
  beforeAll(() => useBackend('wasm'));

  it('loads, runs, generates and disposes without leaving a tensor behind', async () => {
    await expectNoLeaks(async () => {
      const model = await loadModel(dirSource(GPT2));
      disposeResult(
        model.run([1, 2, 3], { cache: ['blocks.0.hook_resid_post', 'blocks.1.attn.hook_result'] }),
      );
      await generate(model, [1, 2, 3], { maxTokens: 5, temperature: 1, topP: 0.9, seed: 1 });
      model.dispose();
    });
  });

  it('leaves no tensors when a hook throws in the middle of a forward pass', async () => {
    const model = await loadModel(dirSource(GPT2));
    await expectNoLeaks(() => {
      expect(() =>
        model.run([1, 2, 3], {
          cache: ['blocks.0.hook_resid_pre'],
          hooks: {
            'blocks.1.hook_resid_pre': () => {
              throw new Error('boom');
            },
          },
        }),
      ).toThrow('boom');
    });
    model.dispose();
  });

  it('refuses a config with an unsupported model_type, naming the supported ones', async () => {
    const dir = brokenCopy('config.json', JSON.stringify({ model_type: 'bert', hidden_size: 8 }));
    const err = await loadModel(dirSource(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(UnsupportedModelError);
    expect(err.message).toMatch(/"bert" is not supported.*gpt2, llama, qwen2, mistral/);
  });

  it('refuses a truncated safetensors file with a message naming the file', async () => {
    const before = tf.memory().numTensors;
    const dir = brokenCopy('model.safetensors', new Uint8Array(1000).fill(7));
    const err = await loadModel(dirSource(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(WeightsFormatError);
    expect(err.message).toMatch(/^model\.safetensors: /);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses weights that do not match the config, listing every problem', async () => {
    const config = JSON.parse((await dirSource(GPT2).readText('config.json')) as string);
    const dir = brokenCopy('config.json', JSON.stringify({ ...config, n_embd: config.n_embd * 2 }));
    const err = await loadModel(dirSource(dir)).catch((e) => e);
    expect(err).toBeInstanceOf(ShapeMismatchError);
    expect(err.message).toMatch(/wte\.weight|W_E/);
  });

  it('tells the estimate before reading any weight', async () => {
    const source = dirSource(GPT2);
    const read: string[] = [];
    const readBytes = source.readBytes.bind(source);
    source.readBytes = (file, ...rest) => {
      read.push(file);
      return readBytes(file, ...rest);
    };
    let weightsReadBefore: string[] | undefined;
    let weightBytes = 0;
    const before = tf.memory().numBytes;
    const model = await loadModel(source, {
      onEstimate: (e) => {
        weightsReadBefore = read.filter((f) => f.endsWith('.safetensors'));
        weightBytes = e.weightBytes;
      },
    });
    expect(weightsReadBefore).toEqual([]);
    expect(read).toContain('model.safetensors');
    // The estimate's weights are what the device holds once loaded (float32, tied unembedding once,
    // one copy of each matrix), up to WebAssembly's packed panels padding a matrix to whole 8 columns.
    const held = tf.memory().numBytes - before;
    expect(held).toBe(model.weights.bytes);
    expect(Math.abs(held - weightBytes) / weightBytes).toBeLessThan(0.005);
    model.dispose();
  });

  it('refuses, with the figures, a model that will not fit the backend', async () => {
    const err = await loadModel(dirSource(GPT2), {
      limits: { backend: 'wasm', maxTotalBytes: 100_000, maxTensorBytes: 100_000 },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(TooLargeError);
    expect(err.message).toMatch(/needs about [\d.]+ [KM]B/);
  });
});

describe('backend selection in Node', () => {
  it('chooses WebAssembly and says why the GPU backends were passed over', async () => {
    const choice = await selectBackend();
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toBe('WebAssembly runs on the CPU with SIMD (no GPU backend is available).');
    expect(choice.passedOver.join(' ')).toMatch(/WebGPU: this browser has no WebGPU/);
    expect(choice.passedOver.join(' ')).toMatch(/WebGL: not available outside a browser/);
    expect(choice.software).toBeUndefined();
    expect(choice.limits.maxTotalBytes).toBeGreaterThan(1e9);
  });

  it('honours a preferred backend', async () => {
    const choice = await selectBackend({ prefer: 'cpu' });
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.reason).toMatch(/CPU was requested/);
  });
});
