import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, disposeResult, hookName, type Model } from '../../../../src/engine';
import {
  candidateVector,
  refusalCandidates,
  selectRefusalDirection,
} from '../../../../src/interp/build/refusal';
import { compile } from '../../../../src/interp/compile';
import { lastTokenKl, measure } from '../../../../src/interp/metrics';
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

  it('selection scores every candidate, late layers too, names every filter it fails, and picks the lowest bypass among the kept', async () => {
    const c = await refusalCandidates(model, {
      harmful: HARMFUL,
      harmless: HARMLESS,
      positions: [-2, -1],
      chat: false,
    });
    const progress: [number, number][] = [];
    const sel = await expectNoLeaks(() =>
      selectRefusalDirection(model, c, {
        harmfulVal: HARMFUL,
        harmlessVal: HARMLESS,
        refusalTokens: [30, 31],
        chat: false,
        maxKl: Infinity,
        onProgress: (done, total) => progress.push([done, total]),
      }),
    );
    expect(sel.scores).toHaveLength(10);
    expect(progress.at(-1)).toEqual([10, 10]);
    expect(progress.map(([d]) => d)).toEqual([...Array(11).keys()]);
    for (const s of sel.scores) {
      expect(Number.isFinite(s.bypass) && Number.isFinite(s.induce) && Number.isFinite(s.kl)).toBe(true);
      // 0.8 · 5 layers = 4: layer 4 is dropped, but still scored so that the page can show why.
      expect(s.dropped.includes('late-layer')).toBe(s.layer >= 4);
      expect(s.dropped.includes('induce')).toBe(s.induce < 0);
      expect(s.dropped.includes('kl')).toBe(false);
    }
    const kept = sel.scores.filter((s) => s.dropped.length === 0);
    if (kept.length) {
      expect(sel.chosen!.bypass).toBe(Math.min(...kept.map((s) => s.bypass)));
      expect(sel.bestDropped).toBeUndefined();
    } else {
      expect(sel.chosen).toBeUndefined();
      expect(sel.bestDropped?.dropped.length).toBeGreaterThan(0);
    }
    // With a KL budget of 0 every candidate is dropped; the best dropped one is offered instead.
    const strict = await selectRefusalDirection(model, c, {
      harmfulVal: HARMFUL.slice(0, 1),
      harmlessVal: HARMLESS.slice(0, 1),
      refusalTokens: [30],
      chat: false,
      maxKl: 0,
      maxLayerFraction: 0.3,
    });
    expect(strict.chosen).toBeUndefined();
    expect(strict.scores.filter((s) => s.dropped.length === 0)).toHaveLength(0);
    const fewest = Math.min(...strict.scores.map((s) => s.dropped.length));
    const tied = strict.scores.filter((s) => s.dropped.length === fewest);
    expect(strict.bestDropped?.dropped).toHaveLength(fewest);
    expect(strict.bestDropped?.bypass).toBe(Math.min(...tied.map((s) => s.bypass)));
  });

  it('scores a candidate as ablating and adding it over the validation prompts one by one would', async () => {
    const c = await refusalCandidates(model, {
      harmful: HARMFUL,
      harmless: HARMLESS,
      positions: [-1],
      layers: [2],
      chat: false,
    });
    const refusal = [30, 31];
    const sel = await selectRefusalDirection(model, c, {
      harmfulVal: HARMFUL,
      harmlessVal: HARMLESS,
      refusalTokens: refusal,
      chat: false,
      // Two at a time, so that passes are split and joined again.
      batchSize: 2,
    });
    const got = sel.scores[0]!;
    const vectors = { r: candidateVector(c, -1, 2) };
    const ablate = compile({ kind: 'ablate', vector: 'r' }, { model, vectors });
    const add = compile({ kind: 'add', vector: 'r', coefficient: 1 }, { model, vectors });
    const metric = { kind: 'refusal-score' as const, refusal };
    const mean = (xs: Float32Array) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const one = { batchSize: 1 };
    try {
      expect(got.bypass).toBeCloseTo(
        mean(await measure(model, HARMFUL, metric, { ...one, hooks: ablate.hooks })),
        3,
      );
      expect(got.induce).toBeCloseTo(
        mean(await measure(model, HARMLESS, metric, { ...one, hooks: add.hooks })),
        3,
      );
      expect(got.kl).toBeCloseTo((await lastTokenKl(model, HARMLESS, ablate.hooks, one)).mean, 3);
      expect(sel.baseHarmful).toBeCloseTo(mean(await measure(model, HARMFUL, metric, one)), 3);
      expect(sel.baseHarmless).toBeCloseTo(mean(await measure(model, HARMLESS, metric, one)), 3);
    } finally {
      ablate.dispose();
      add.dispose();
    }
  });

  it('stops with CancelledError once the caller says the run is stale, leaking nothing', async () => {
    const c = await refusalCandidates(model, {
      harmful: HARMFUL,
      harmless: HARMLESS,
      positions: [-1],
      chat: false,
    });
    let done = 0;
    const stale = new AbortController();
    await expectNoLeaks(async () => {
      await expect(
        selectRefusalDirection(model, c, {
          harmfulVal: HARMFUL,
          harmlessVal: HARMLESS,
          refusalTokens: [30],
          chat: false,
          onProgress: (d) => {
            done = d;
            if (done >= 2) stale.abort();
          },
          signal: stale.signal,
        }),
      ).rejects.toBeInstanceOf(CancelledError);
    });
    expect(done).toBe(2);
  });
});
