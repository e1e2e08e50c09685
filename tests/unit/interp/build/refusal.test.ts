import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeResult, hookName, type Model } from '../../../../src/engine';
import {
  candidateVector,
  refusalCandidates,
  selectRefusalDirection,
} from '../../../../src/interp/build/refusal';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';
import { llamaSpec, randomModel } from '../../../support/random-model';
import { maxAbsDiff } from '../../../support/steering';

// Token-id prompts that end in the same three "template" tokens, as a chat template would.
const TAIL = [40, 41, 42];
const HARMFUL = [
  [1, 5, 6, ...TAIL],
  [1, 7, 8, 9, ...TAIL],
  [1, 6, ...TAIL],
];
const HARMLESS = [
  [1, 20, 21, ...TAIL],
  [1, 22, 23, 24, ...TAIL],
  [1, 25, ...TAIL],
];

describe('refusal direction', () => {
  let model: Model;
  beforeAll(async () => {
    await useBackend('wasm');
    model = randomModel(llamaSpec({ nLayers: 5 }), 9);
  });
  afterAll(() => model.dispose());

  it('candidates are harmful − harmless means of resid_pre at each post-instruction position and layer', async () => {
    const c = await expectNoLeaks(() =>
      refusalCandidates(model, {
        harmful: HARMFUL,
        harmless: HARMLESS,
        positions: [-3, -2, -1],
        chat: false,
      }),
    );
    expect(c.positions).toEqual([-3, -2, -1]);
    expect(c.layers).toEqual([0, 1, 2, 3, 4]);
    const d = model.spec.dModel;
    const at = (tokens: number[], layer: number, pos: number) => {
      const name = hookName('resid_pre', layer);
      const r = model.run(tokens, { cache: [name], logits: 'none' });
      const t = r.cache
        .get(name)!
        .dataSync()
        .slice((tokens.length + pos) * d, (tokens.length + pos + 1) * d);
      disposeResult(r);
      return t;
    };
    const mean = (set: number[][], layer: number, pos: number) =>
      set
        .map((p) => at(p, layer, pos))
        .reduce((s, a) => s.map((x, j) => x + a[j]! / set.length), new Float32Array(d));
    for (const [i, pos] of [-3, -1].entries()) {
      const want = mean(HARMFUL, 2, pos).map((x, j) => x - mean(HARMLESS, 2, pos)[j]!);
      expect(maxAbsDiff(c.directions[i === 0 ? 0 : 2]![2]!, want)).toBeLessThan(1e-4);
    }
    const v = candidateVector(c, -2, 3);
    expect(v.hook).toBe('resid_pre');
    expect(v.recipe).toMatchObject({ from: 'refusal', position: -2, layer: 3 });
  });

  it('selection scores every candidate, drops late layers, and picks the lowest bypass among the kept', async () => {
    const c = await refusalCandidates(model, {
      harmful: HARMFUL,
      harmless: HARMLESS,
      positions: [-2, -1],
      chat: false,
    });
    const sel = await expectNoLeaks(() =>
      selectRefusalDirection(model, c, {
        harmfulVal: HARMFUL,
        harmlessVal: HARMLESS,
        refusalTokens: [30, 31],
        chat: false,
        maxKl: Infinity,
      }),
    );
    expect(sel.scores).toHaveLength(10);
    // 0.8 · 5 layers = 4: layer 4 is dropped without being scored.
    expect(sel.scores.filter((s) => s.dropped === 'late-layer').map((s) => s.layer)).toEqual([4, 4]);
    const kept = sel.scores.filter((s) => !s.dropped);
    for (const s of kept) {
      expect(s.induce).toBeGreaterThanOrEqual(0);
      expect(s.kl).toBeGreaterThanOrEqual(0);
    }
    if (kept.length) expect(sel.chosen!.bypass).toBe(Math.min(...kept.map((s) => s.bypass)));
    else expect(sel.chosen).toBeUndefined();
    // With a KL budget of 0 every scored candidate is dropped for KL.
    const strict = await selectRefusalDirection(model, c, {
      harmfulVal: HARMFUL.slice(0, 1),
      harmlessVal: HARMLESS.slice(0, 1),
      refusalTokens: [30],
      chat: false,
      maxKl: 0,
      maxLayerFraction: 0.3,
    });
    expect(strict.chosen).toBeUndefined();
    expect(strict.scores.filter((s) => !s.dropped)).toHaveLength(0);
  });
});
