/**
 * 16-bit weights for any checkpoint (`precision: 'bfloat16'`): the matrices are rounded to bfloat16
 * as they load, exactly as PyTorch rounds them, and held in 16-bit panels on WebAssembly. Checked
 * against the fixture that PyTorch saved from the same weights in BF16 (training/reference.py).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dirSource,
  disposeResult,
  type HostTensor,
  loadModel,
  type MemoryEstimate,
  Model,
} from '../../../src/engine/node';
import { useBackend } from '../../support/backend';
import { REFERENCE_DIR } from '../../support/golden';
import { expectNoLeaks } from '../../support/leaks';

/**
 * The weights the engine multiplies by (weights-device.ts's MATRIX, before fusion); an untied
 * embedding is only gathered from, so it keeps its values (llama-gqa's is untied).
 */
const isMatrix = (name: string) => /\.W_(Q|K|V|O|in|out|gate)$|^unembed\.W_U$/.test(name);

describe('16-bit weights for a float32 checkpoint (WebAssembly)', () => {
  let rounded: Model;
  let full: Model;
  let torchBf16: Map<string, HostTensor>;
  let estimate: MemoryEstimate | undefined;
  beforeAll(async () => {
    await useBackend('wasm');
    const f32 = dirSource(join(REFERENCE_DIR, 'llama-gqa'));
    rounded = await loadModel(f32, { precision: 'bfloat16', onEstimate: (e) => (estimate = e) });
    full = await loadModel(f32);
    const bf16 = await loadModel(dirSource(join(REFERENCE_DIR, 'llama-gqa-bf16')));
    torchBf16 = bf16.hostWeights();
    bf16.dispose();
  });
  afterAll(() => {
    rounded?.dispose();
    full?.dispose();
  });

  it("rounds every matrix as PyTorch's .to(torch.bfloat16) does, and nothing else", () => {
    const ours = rounded.hostWeights();
    const published = full.hostWeights();
    let matrices = 0;
    for (const [name, t] of ours) {
      const want = isMatrix(name) ? torchBf16.get(name)! : published.get(name)!;
      expect([...t.data], name).toEqual([...want.data]);
      if (isMatrix(name)) {
        matrices++;
        // The rounding did something: a float32 checkpoint's values are not bfloat16 already.
        expect([...t.data], name).not.toEqual([...published.get(name)!.data]);
      }
    }
    expect(rounded.spec.tiedEmbeddings).toBe(false);
    expect(matrices).toBe(7 * rounded.spec.nLayers + 1);
    expect(rounded.weights.precision).toBe('bfloat16');
    expect(full.weights.precision).toBeUndefined();
  });

  it('holds the matrices in half the bytes, as the estimate said before loading', () => {
    const { dModel, nLayers, vocabSize, tiedEmbeddings } = rounded.spec;
    // Float32 either way: the norms' weights and an untied embedding.
    const other = ((2 * nLayers + 1) * dModel + (tiedEmbeddings ? 0 : vocabSize * dModel)) * 4;
    expect(rounded.weights.bytes - other).toBe((full.weights.bytes - other) / 2);
    expect(estimate?.halfMatrices).toBe(true);
    // The estimate counts no padding of the panels' last columns.
    expect(estimate!.weightBytes).toBeLessThanOrEqual(rounded.weights.bytes);
    expect(estimate!.weightBytes).toBeGreaterThan(0.97 * rounded.weights.bytes);
  });

  it('computes what the float32 engine computes on the rounded weights, bit for bit', async () => {
    const mixed = new Map([...full.hostWeights()].map(([n, t]) => [n, isMatrix(n) ? torchBf16.get(n)! : t]));
    const reference = Model.fromHost(full.id, full.spec, mixed, full.tokenizer, { bf16: false });
    const tokens = [[3, 17, 42, 5, 9, 11, 2, 30, 8]];
    await expectNoLeaks(() => {
      const [a, b] = [reference, rounded].map((m) => m.run(tokens));
      expect([...b!.logits!.dataSync()]).toEqual([...a!.logits!.dataSync()]);
      const c = full.run(tokens);
      // …and not what the checkpoint's own values give.
      expect([...c.logits!.dataSync()]).not.toEqual([...a!.logits!.dataSync()]);
      for (const r of [a!, b!, c]) disposeResult(r);
    });
    reference.dispose();
  });
});

describe('16-bit weights for a tied embedding', () => {
  it('rounds the embedding with the unembedding it is (GPT-2), so embedding and unembedding agree', async () => {
    await useBackend('wasm');
    const source = dirSource(join(REFERENCE_DIR, 'gpt2-tiny'));
    const [rounded, full] = [await loadModel(source, { precision: 'bfloat16' }), await loadModel(source)];
    expect(rounded.spec.tiedEmbeddings).toBe(true);
    const [ours, published] = [rounded.hostWeights(), full.hostWeights()];
    const bits = (t: HostTensor) => new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    expect(bits(ours.get('embed.W_E')!).every((b) => (b & 0xffff) === 0)).toBe(true);
    expect(bits(published.get('embed.W_E')!).some((b) => (b & 0xffff) !== 0)).toBe(true);
    // The position embeddings are gathered, not multiplied by: as published.
    expect([...ours.get('pos_embed.W_pos')!.data]).toEqual([...published.get('pos_embed.W_pos')!.data]);
    rounded.dispose();
    full.dispose();
  });
});
