/**
 * The SAE view's worker job on the shipped Llama organism: its figures are interp's own
 * trainResidualSae on the same texts and settings (the seed is fixed), its features are live ones
 * with top texts (the marked token is where the feature is strongest) and unit decoder directions,
 * progress passes through every stage, and no tensor is left behind.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model } from '../../../src/engine';
import { dirSource } from '../../../src/engine/node';
import { readOrganismData, saeCorpus, trainResidualSae } from '../../../src/interp';
import type { SaeJobProgress } from '../../../src/worker/api';
import { createHost, type ModelHost } from '../../../src/worker/host';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';

const DIR = resolve(import.meta.dirname, '../../../models/organism-llama');

describe.skipIf(!existsSync(resolve(DIR, 'config.json')))('the SAE job in the worker', () => {
  let model: Model;
  let host: ModelHost;
  beforeAll(async () => {
    await useBackend('wasm');
    model = await loadModel(dirSource(DIR));
    host = createHost();
    host.adopt(model, dirSource(DIR), { name: 'wasm', reason: 'test' });
  }, 120_000);
  afterAll(() => host?.dispose());

  it("trains the experiment's SAE as interp does and lists live features with their top texts", async () => {
    const settings = { layer: 3, features: 64, l1: 3, steps: 40, train: true };
    const progress: SaeJobProgress[] = [];
    const got = await expectNoLeaks(() =>
      host.sparseAutoencoder({ experiment: { version: 1, view: { sae: settings } } }, (p) =>
        progress.push(p),
      ),
    );
    const texts = saeCorpus(await readOrganismData(dirSource(DIR)));
    const want = await trainResidualSae(model, texts, 3, {
      dSae: 64,
      l1: 3,
      steps: 40,
      batchSize: 256,
      seed: 1,
    });
    expect(got).toMatchObject({ layer: 3, dSae: 64, steps: 40, trainTokens: want.trainTokens });
    expect(got.explainedVariance).toBeCloseTo(want.figures.explainedVariance, 5);
    expect(got.l0).toBeCloseTo(want.figures.l0, 5);
    expect(got.features.length).toBeGreaterThan(0);
    for (const f of got.features) {
      expect(f.examples.length).toBeGreaterThan(0);
      expect(f.examples[0]!.token.length).toBeGreaterThan(0);
      expect(f.examples[0]!.activation).toBe(f.max);
      expect(Math.hypot(...f.direction)).toBeCloseTo(1, 4);
      expect([...f.direction]).toEqual([
        ...want.sae.W_dec.subarray(f.feature * want.sae.dIn, (f.feature + 1) * want.sae.dIn),
      ]);
    }
    expect(new Set(progress.map((p) => p.stage))).toEqual(new Set(['activations', 'train', 'features']));
  }, 300_000);
});
