/**
 * A bfloat16 checkpoint on WebAssembly: its matrices are held in 16-bit panels, half the memory,
 * and every number the engine computes is the same, bit for bit, as with float32 panels of the
 * same values (a bfloat16 value is a float32 with its low 16 bits zero; the kernels rebuild it
 * exactly and multiply in the same order).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allHookNames, dirSource, disposeResult, generate, loadModel, Model } from '../../../src/engine/node';
import { useBackend } from '../../support/backend';
import { REFERENCE_DIR } from '../../support/golden';
import { expectNoLeaks } from '../../support/leaks';

describe('bfloat16 weights in 16-bit panels (WebAssembly)', () => {
  let half: Model;
  let full: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    half = await loadModel(dirSource(join(REFERENCE_DIR, 'llama-gqa-bf16')));
    full = Model.fromHost(half.id, half.spec, half.hostWeights(), half.tokenizer, { bf16: false });
  });
  afterAll(() => {
    half?.dispose();
    full?.dispose();
  });

  it('holds the matrices in half the bytes; a model rebuilt from its weights (a weight edit) holds the same', () => {
    const { dModel, nLayers, vocabSize, tiedEmbeddings } = half.spec;
    // Not multiplied by, so float32 either way: the norms' weights and an untied embedding (no biases here).
    const other = ((2 * nLayers + 1) * dModel + (tiedEmbeddings ? 0 : vocabSize * dModel)) * 4;
    expect(half.weights.bytes - other).toBe((full.weights.bytes - other) / 2);
    expect(full.weights.bytes - other).toBeGreaterThan(vocabSize * dModel * 4); // the unembedding at least
    // Rebuilt from host weights that are not consumed, the fused projections' parts are not held twice.
    const again = Model.fromHost(half.id, half.spec, half.hostWeights(), half.tokenizer);
    expect(again.weights.bytes).toBe(half.weights.bytes);
    again.dispose();
  });

  it('gives the same logits, activations at every hook point and greedy tokens as float32 panels', async () => {
    const tokens = [[3, 17, 42, 5, 9, 11, 2, 30, 8]];
    const hooks = allHookNames(half.spec);
    await expectNoLeaks(() => {
      const [a, b] = [full, half].map((m) => m.run(tokens, { cache: hooks }));
      expect([...b!.logits!.dataSync()]).toEqual([...a!.logits!.dataSync()]);
      let compared = 0;
      for (const [name, t] of a!.cache) {
        expect([...b!.cache.get(name)!.dataSync()], name).toEqual([...t.dataSync()]);
        compared++;
      }
      expect(compared).toBeGreaterThan(10 * half.spec.nLayers);
      disposeResult(a!);
      disposeResult(b!);
    });
    const greedy = async (m: Model) =>
      (await generate(m, tokens[0]!, { maxTokens: 12, temperature: 0 })).tokens;
    expect(await greedy(half)).toEqual(await greedy(full));
  });
});
