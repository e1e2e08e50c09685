import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirSource, generate, loadModel, type Model } from '../../../src/engine/node';
import { quantileThresholds, sparsifyEffect, sparsityProfile } from '../../../src/interp/activation-sparsity';
import { compile } from '../../../src/interp/compile';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { bitEqual, logits } from '../../support/steering';

const TEXTS = [
  'Once upon a time, a little fox named Pip lived near the river.',
  'hot -> cold, big -> small, up ->',
  'Mia had a red ball and a friend named Leo.',
];

for (const name of ['organism-gpt2', 'organism-llama']) {
  describe(`activation sparsity on ${name} (METHODS.md §15)`, () => {
    let model: Model;
    let prompts: number[][];
    beforeAll(async () => {
      await useBackend('wasm');
      model = await loadModel(dirSource(`models/${name}`));
      prompts = TEXTS.map((t) => model.tokenizer!.encode(t));
    });
    afterAll(() => model.dispose());

    it('measures a share per layer that never falls as ε grows', async () => {
      const eps = [0, 0.001, 0.01, 0.05, 0.1, 0.5, 1];
      const p = await expectNoLeaks(() => sparsityProfile(model, prompts, eps));
      expect(p.share.length).toBe(model.spec.nLayers * eps.length);
      for (let l = 0; l < p.layers; l++) {
        const row = p.share.subarray(l * eps.length, (l + 1) * eps.length);
        for (let e = 1; e < eps.length; e++) expect(row[e]!).toBeGreaterThanOrEqual(row[e - 1]!);
        expect(row[eps.length - 1]!).toBeGreaterThan(row[0]!);
      }
    });

    it('threshold 0 compiles to no hook, zeroes nothing and leaves the logits bit-identical', async () => {
      const zeros = Array.from({ length: model.spec.nLayers }, () => 0);
      const c = compile({ kind: 'sparsify', thresholds: zeros }, { model });
      expect(Object.keys(c.hooks)).toEqual([]);
      const base = logits(model, prompts[0]!);
      const same = logits(model, prompts[0]!, c.hooks);
      base.forEach((row, t) => expect(bitEqual(row, same[t]!)).toBe(true));
      c.dispose();
      const r = await expectNoLeaks(() => sparsifyEffect(model, prompts, zeros));
      expect(r.zeroed).toBe(0);
      expect(r.kl).toBe(0);
      expect(r.lossSparse).toBe(r.lossFull);
    });

    it('zeroes about the quantile’s share during generation and reports its cost', async () => {
      const thresholds = await expectNoLeaks(() => quantileThresholds(model, prompts, 0.5));
      expect(thresholds.every((t) => t > 0)).toBe(true);
      const r = await expectNoLeaks(() => sparsifyEffect(model, prompts, thresholds));
      // Measured in the sparsified run itself, whose later layers see changed inputs.
      expect(r.zeroed).toBeGreaterThan(0.4);
      expect(r.zeroed).toBeLessThan(0.6);
      expect(r.kl).toBeGreaterThan(0);
      const heavier = await sparsifyEffect(model, prompts, await quantileThresholds(model, prompts, 0.9));
      expect(heavier.zeroed).toBeGreaterThan(r.zeroed);
      expect(heavier.kl).toBeGreaterThan(r.kl);
      // The hooks apply on every decode step and free what they make.
      const c = compile({ kind: 'sparsify', thresholds }, { model });
      await expectNoLeaks(() => generate(model, prompts[0]!, { maxTokens: 6, hooks: c.hooks }));
      c.dispose();
    });
  });
}
