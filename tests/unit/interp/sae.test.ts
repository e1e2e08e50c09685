import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, dirSource, loadModel, type Model } from '../../../src/engine/node';
import { compile } from '../../../src/interp/compile';
import { readOrganismData } from '../../../src/interp/eval/organism-data';
import {
  evaluateSae,
  featureTopTexts,
  featureVector,
  residualRows,
  type SaeData,
  type SaeProgress,
  type SparseAutoencoder,
  saeFromSafetensors,
  saeToSafetensors,
  trainSae,
} from '../../../src/interp/sae';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { bitEqual, logits } from '../../support/steering';

describe('sparse autoencoder on organism-llama (METHODS.md §17)', () => {
  let model: Model;
  let texts: string[];
  let data: SaeData;
  let sae: SparseAutoencoder;
  const progress: SaeProgress[] = [];
  beforeAll(async () => {
    await useBackend('wasm');
    const source = dirSource('models/organism-llama');
    model = await loadModel(source);
    texts = (await readOrganismData(source)).validation.slice(0, 60);
    data = await residualRows(model, texts, 4);
    sae = (
      await expectNoLeaks(() =>
        trainSae(data, { dSae: 256, l1: 3, steps: 300, batchSize: 256, onProgress: (p) => progress.push(p) }),
      )
    ).sae;
  });
  afterAll(() => model.dispose());

  it('reconstructs the residual with few active features, unit decoder directions and progress on the way', async () => {
    const f = await expectNoLeaks(() => evaluateSae(sae, data.rows));
    const d = model.spec.dModel;
    expect(f.rows).toBe(data.rows.length / d);
    expect(f.explainedVariance).toBeGreaterThan(0.4);
    expect(f.l0).toBeGreaterThan(2);
    expect(f.l0).toBeLessThan(80);
    expect(f.deadFraction).toBeLessThan(0.5);
    for (let j = 0; j < sae.dSae; j++)
      expect(Math.hypot(...sae.W_dec.subarray(j * d, (j + 1) * d))).toBeCloseTo(1, 4);
    expect(progress.map((p) => p.step)).toEqual([50, 100, 150, 200, 250, 300]);
  });

  it('resamples dead features, and stops with CancelledError when aborted, leaking nothing', async () => {
    // A penalty this strong silences features within the first hundred steps.
    const strong = await trainSae(data, {
      dSae: 64,
      l1: 50,
      steps: 160,
      batchSize: 128,
      learningRate: 0.01,
      resampleAt: [0.75],
    });
    expect(strong.resampled).toBeGreaterThan(0);
    const abort = new AbortController();
    await expectNoLeaks(async () => {
      await expect(
        trainSae(data, {
          dSae: 64,
          steps: 1000,
          signal: abort.signal,
          progressEvery: 5,
          onProgress: () => abort.abort(),
        }),
      ).rejects.toBeInstanceOf(CancelledError);
    });
  });

  it('saves and loads as safetensors bit for bit, and refuses a file that is not an SAE', () => {
    const back = saeFromSafetensors(saeToSafetensors(sae));
    expect(back).toMatchObject({
      modelId: sae.modelId,
      hook: 'resid_post',
      layer: 4,
      dIn: model.spec.dModel,
      dSae: 256,
      l1: 3,
    });
    for (const k of ['W_enc', 'b_enc', 'W_dec', 'b_dec'] as const)
      expect(bitEqual(back[k], sae[k])).toBe(true);
    expect(() => saeFromSafetensors(new Uint8Array(16), 'x.safetensors')).toThrow(/x\.safetensors/);
  });

  it('lists each feature’s top-activating texts, strongest first', async () => {
    const tops = await expectNoLeaks(() => featureTopTexts(model, sae, texts, [0, 1, 2], 3));
    for (const list of tops) {
      for (let i = 1; i < list.length; i++)
        expect(list[i]!.activation).toBeLessThanOrEqual(list[i - 1]!.activation);
      for (const e of list) expect(e.activation).toBeGreaterThan(0);
    }
    expect(tops.some((l) => l.length > 0)).toBe(true);
  });

  it('steers by a feature through compile: c = 0 is bit-identical, c ≠ 0 moves the logits', async () => {
    const tokens = model.tokenizer!.encode('Once upon a time');
    const base = logits(model, tokens);
    for (const [c, same] of [
      [0, true],
      [8, false],
    ] as const) {
      const compiled = compile(
        { kind: 'add', vector: 'f', coefficient: c },
        { model, vectors: { f: featureVector(sae, 3) } },
      );
      const out = logits(model, tokens, compiled.hooks);
      compiled.dispose();
      expect(bitEqual(out.at(-1)!, base.at(-1)!)).toBe(same);
    }
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});
