import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Model } from '../../../../src/engine';
import { buildUnits, momenta } from '../../../../src/interp/build/units';
import { compile } from '../../../../src/interp/compile';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';
import { llamaSpec, randomModel } from '../../../support/random-model';
import { bitEqual, logits } from '../../../support/steering';

const PAIRS = [
  { positive: [1, 5, 9], negative: [1, 5, 8] },
  { positive: [1, 3, 9], negative: [1, 3, 7] },
  { positive: [1, 2, 4, 9], negative: [1, 2, 4, 6] },
  { positive: [1, 9], negative: [1, 10] },
  { positive: [1, 11, 9], negative: [1, 11, 12] },
];

describe('AUSteer units', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(llamaSpec(), 3);
  });
  afterAll(() => model.dispose());

  it('momentum counts which side is larger, signed by the majority', () => {
    const pos = [Float32Array.of(1, 0, 5), Float32Array.of(2, 1, 5), Float32Array.of(0, 3, 5)];
    const neg = [Float32Array.of(0, 1, 4), Float32Array.of(1, 2, 6), Float32Array.of(1, 4, 4)];
    expect(Array.from(momenta(pos, neg))).toEqual([2 / 3, -1, 2 / 3].map(Math.fround));
  });

  for (const point of ['z', 'mlp_out', 'resid_post'] as const) {
    it(`ranks ${point} units by |β|, every kept |β| ≥ 0.5`, async () => {
      const sel = await expectNoLeaks(() => buildUnits(model, { pairs: PAIRS, point, k: 12 }));
      expect(sel.units).toHaveLength(12);
      const mags = sel.units.map((u) => Math.abs(u.beta));
      expect(mags).toEqual([...mags].sort((a, b) => b - a));
      for (const u of sel.units) {
        expect(Math.abs(u.beta)).toBeGreaterThanOrEqual(0.5);
        expect(u.point).toBe(point);
      }
    });
  }

  it('k = 0 is the identity', async () => {
    const sel = await buildUnits(model, { pairs: PAIRS, point: 'mlp_out' });
    const prompt = [1, 4, 7, 9];
    const base = logits(model, prompt);
    const c = compile({ kind: 'units', units: 'u', k: 0 }, { model, units: { u: sel } });
    expect(Object.keys(c.hooks)).toHaveLength(0);
    logits(model, prompt, c.hooks).forEach((row, t) => expect(bitEqual(row, base[t]!)).toBe(true));
    c.dispose();
  });
});
