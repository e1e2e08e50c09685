import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import { logitLens } from '../../../src/interp/lens';
import {
  lensKlByLayer,
  loadTunedLens,
  TUNED_LENS_FILE,
  TunedLens,
  trainTunedLens,
  tunedLensFromSafetensors,
  tunedLensToSafetensors,
} from '../../../src/interp/tuned-lens';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { tempFolder } from '../../support/model-folder';
import { gpt2Spec, llamaSpec, randomModel } from '../../support/random-model';

/** Windows of a token stream with some structure (a repeating walk), so that there is something to learn. */
function windows(count: number, length: number, seed: number): number[][] {
  let s = seed;
  return Array.from({ length: count }, () =>
    Array.from({ length }, () => {
      s = (s * 1103515245 + 12345) >>> 0;
      return (s >>> 8) % 50;
    }),
  );
}

describe.each([
  ['gpt2', gpt2Spec()],
  ['llama', llamaSpec()],
])('tuned lens on a random %s', (_, spec) => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(spec, 6);
  });
  afterAll(() => model.dispose());
  const PROMPT = [1, 5, 9, 3, 7, 2];

  it('equals the logit lens exactly while untrained', async () => {
    const lens = TunedLens.identity(spec);
    const plain = await logitLens(model, PROMPT, { k: 5, track: [4] });
    const tuned = await expectNoLeaks(() => logitLens(model, PROMPT, { k: 5, track: [4], tuned: lens }));
    lens.dispose();
    expect(tuned).toEqual(plain);
  });

  it('lowers the KL to the final layer at every layer once trained, on held-out text', async () => {
    const before = tf.memory().numTensors;
    const { lens, losses } = await trainTunedLens(model, windows(48, 12, 1), {
      steps: 60,
      batchSize: 8,
      learningRate: 1e-2,
    });
    // Only the translators (one matrix and one bias per layer) outlive training.
    expect(tf.memory().numTensors).toBe(before + 2 * spec.nLayers);
    const heldOut = windows(16, 12, 2);
    const logit = await expectNoLeaks(() => lensKlByLayer(model, heldOut));
    const tuned = await expectNoLeaks(() => lensKlByLayer(model, heldOut, lens));
    console.log(
      `${spec.modelType} held-out KL per layer: logit lens [${fmt(logit)}], tuned lens [${fmt(tuned)}]`,
    );
    tuned.forEach((kl, l) => expect(kl).toBeLessThan(logit[l]!));
    expect(losses.at(-1)!).toBeLessThan(losses[0]!);
    lens.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('saves and loads its translators as safetensors beside the model', async () => {
    const { lens } = await trainTunedLens(model, windows(16, 8, 3), { steps: 3, learningRate: 1e-2 });
    const bytes = await tunedLensToSafetensors(lens, model.id);
    const folder = await tempFolder({ [TUNED_LENS_FILE]: bytes });
    const empty = await tempFolder({ 'config.json': '{}' });
    try {
      const before = tf.memory().numTensors;
      const loaded = (await loadTunedLens(dirSource(folder.dir), model.spec))!;
      expect(tf.memory().numTensors).toBe(before + 2 * spec.nLayers);
      const want = await logitLens(model, PROMPT, { k: 4, tuned: lens });
      const got = await logitLens(model, PROMPT, { k: 4, tuned: loaded });
      expect(got).toEqual(want);
      expect(got.topProbs).not.toEqual((await logitLens(model, PROMPT, { k: 4 })).topProbs);
      expect(await loadTunedLens(dirSource(empty.dir), model.spec)).toBeUndefined();
      expect(() => tunedLensFromSafetensors(bytes, { ...model.spec, dModel: 8 })).toThrow(/does not fit/);
      loaded.dispose();
    } finally {
      lens.dispose();
      await folder.remove();
      await empty.remove();
    }
  });
});

function fmt(a: Float32Array): string {
  return [...a].map((x) => x.toFixed(3)).join(', ');
}
