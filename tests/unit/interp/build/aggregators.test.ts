import { describe, expect, it } from 'vitest';
import { aggregate, meanDifference } from '../../../../src/interp/build/aggregators';
import { cosine, dot, unit } from '../../../../src/interp/linalg';
import { VECTOR_METHODS } from '../../../../src/interp/recipe';
import { randomArray } from '../../../support/steering';

const D = 48;
const N = 24;
const planted = unit(randomArray(D, 77));

/** Pairs whose difference is a_i·planted plus small noise, on top of large shared activations. */
function plantedPairs(noise = 0.02): { pos: Float32Array[]; neg: Float32Array[] } {
  const pos: Float32Array[] = [];
  const neg: Float32Array[] = [];
  for (let i = 0; i < N; i++) {
    const base = randomArray(D, 1000 + i, 5);
    const a = 0.5 + (i % 7) * 0.4; // varying magnitude, so PCA of centred differences sees it
    const e = randomArray(D, 5000 + i, noise);
    pos.push(base.map((x, j) => x + (a / 2) * planted[j]! + e[j]!));
    neg.push(base.map((x, j) => x - (a / 2) * planted[j]!));
  }
  return { pos, neg };
}

describe('aggregators', () => {
  for (const method of VECTOR_METHODS) {
    it(`${method} recovers a planted difference direction (|cos| > 0.99) with the positive side higher`, () => {
      const { pos, neg } = plantedPairs();
      const v = aggregate(method, pos, neg);
      expect(Math.abs(cosine(v, planted))).toBeGreaterThan(0.99);
      const higher = pos.filter((p, i) => dot(p, v) > dot(neg[i]!, v)).length;
      expect(higher).toBe(N);
    });

    it(`${method} flips its sign when positives and negatives swap`, () => {
      const { pos, neg } = plantedPairs();
      expect(cosine(aggregate(method, neg, pos), aggregate(method, pos, neg))).toBeLessThan(-0.99);
    });
  }

  it('PCA methods return unit vectors and the mean keeps the raw norm', () => {
    const { pos, neg } = plantedPairs();
    for (const m of ['pca_diff', 'pca_center', 'pca', 'logistic'] as const)
      expect(Math.hypot(...aggregate(m, pos, neg))).toBeCloseTo(1, 5);
    const mean = meanDifference(pos, neg);
    // Mean of a_i over 0.5 + (i % 7)·0.4, i < 24.
    const meanA = Array.from({ length: N }, (_, i) => 0.5 + (i % 7) * 0.4).reduce((s, a) => s + a, 0) / N;
    expect(dot(mean, planted)).toBeCloseTo(meanA, 2);
  });

  it('pca_diff takes the sign most pairs agree with, not the sign of the mean', () => {
    // Three pairs differ by +u a little, one by −u a lot: the mean points along −u, the vote +u.
    const u = unit(randomArray(D, 3));
    const scales = [1, 1.2, 0.8, -9];
    const pos = scales.map((s) => u.map((x) => s * x));
    const neg = scales.map(() => new Float32Array(D));
    expect(dot(aggregate('pca_diff', pos, neg), u)).toBeGreaterThan(0.99);
    expect(dot(aggregate('pca', pos, neg), u)).toBeLessThan(-0.99);
  });

  it('refuses unequal or empty pair sets', () => {
    expect(() => aggregate('mean', [], [])).toThrow(RangeError);
    expect(() => aggregate('mean', [new Float32Array(2)], [])).toThrow(RangeError);
  });
});
