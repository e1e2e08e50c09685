import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, type Model } from '../../../src/engine';
import { refusalByLayer, refusalDirection } from '../../../src/interp/refusal';
import { useBackend } from '../../support/backend';
import { expectNoLeaks } from '../../support/leaks';
import { gpt2Spec, randomModel } from '../../support/random-model';

// "Harmful" prompts share a marker token (40) that the harmless ones lack.
const HARMFUL = [
  [1, 40, 9, 3, 17],
  [1, 40, 7, 1, 30, 12],
  [1, 5, 40, 22, 3],
];
const HARMLESS = [
  [1, 41, 9, 3, 17],
  [1, 8, 7, 1, 30, 12, 6],
  [1, 5, 42, 22],
];

describe('refusal analysis on a random gpt2', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(gpt2Spec(), 14);
  });
  afterAll(() => model.dispose());

  /** resid_pre[layer] (or the final resid_post) at each prompt's last token, run alone. */
  const lastResid = (p: number[], hook: 'blocks.1.hook_resid_pre' | 'blocks.1.hook_resid_post') => {
    const r = model.run(p, { cache: [hook], logits: 'none' });
    const x = r.cache.get(hook)!.dataSync();
    disposeResult(r);
    return Array.from(x.subarray((p.length - 1) * 16, p.length * 16));
  };
  const meanOf = (rows: number[][]) =>
    rows[0]!.map((_, j) => rows.reduce((s, r) => s + r[j]!, 0) / rows.length);

  it('takes the refusal direction as the difference of the means at resid_pre', async () => {
    const r = await expectNoLeaks(() => refusalDirection(model, HARMFUL, HARMLESS, 1));
    const a = meanOf(HARMFUL.map((p) => lastResid(p, 'blocks.1.hook_resid_pre')));
    const b = meanOf(HARMLESS.map((p) => lastResid(p, 'blocks.1.hook_resid_pre')));
    a.forEach((x, j) => expect(r[j]!).toBeCloseTo(x - b[j]!, 4));
    await expect(refusalDirection(model, HARMFUL, HARMLESS, 2)).rejects.toThrow(/Layer 2/);
  });

  it('projects both sets on the direction at every layer and separates them on their own direction', async () => {
    const by = await expectNoLeaks(() => refusalByLayer(model, HARMFUL, HARMLESS));
    expect(by.labels).toEqual(['resid_pre 0', 'resid_pre 1', 'resid_post 1']);
    // On each point's own difference of means the harmful mean projects higher.
    by.harmful.forEach((x, i) => expect(x).toBeGreaterThan(by.harmless[i]!));
    // A fixed direction: the final point's projections are plain dot products with its unit vector.
    const v = Float32Array.from({ length: 16 }, (_, i) => (i % 3) - 1);
    const fixed = await refusalByLayer(model, HARMFUL, HARMLESS, { direction: v });
    const n = Math.hypot(...v);
    HARMLESS.forEach((p, i) => {
      const x = lastResid(p, 'blocks.1.hook_resid_post');
      const want = x.reduce((s, xi, j) => s + (xi * v[j]!) / n, 0);
      expect(fixed.harmlessPerPrompt[2 * HARMLESS.length + i]!).toBeCloseTo(want, 4);
    });
    expect(fixed.directionNorm).toEqual(by.directionNorm);
  });
});
