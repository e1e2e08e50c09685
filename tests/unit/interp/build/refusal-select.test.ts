import { describe, expect, it } from 'vitest';
import {
  type CandidateScore,
  chooseCandidate,
  dropReasons,
  keepByScore,
  thirds,
} from '../../../../src/interp/build/refusal-select';

const F = { maxKl: 0.1, lateFrom: 0.8 * 8 };
const score = (layer: number, bypass: number, induce: number, kl: number): CandidateScore => ({
  position: -1,
  layer,
  bypass,
  induce,
  kl,
  dropped: dropReasons({ layer, induce, kl }, F),
});

describe('refusal selection (METHODS.md §5)', () => {
  it('splits a list into three disjoint thirds that cover it', () => {
    const [a, b, c] = thirds([0, 1, 2, 3, 4, 5, 6]);
    expect(a).toEqual([0, 3, 6]);
    expect(b).toEqual([1, 4]);
    expect(c).toEqual([2, 5]);
  });

  it('keeps harmful prompts scored as refused and harmless ones scored as answered', () => {
    const items = ['a', 'b', 'c', 'd'];
    const scores = [2, -1, 0, 0.5];
    expect(keepByScore(items, scores, true)).toEqual(['a', 'd']);
    expect(keepByScore(items, scores, false)).toEqual(['b']);
  });

  it('names every filter a candidate fails, and none for one that passes', () => {
    expect(dropReasons({ layer: 2, induce: 1, kl: 0.05 }, F)).toEqual([]);
    expect(dropReasons({ layer: 7, induce: -1, kl: 0.5 }, F)).toEqual(['kl', 'induce', 'late-layer']);
    expect(dropReasons({ layer: 6, induce: 0, kl: 0.1 }, F)).toEqual([]);
    expect(dropReasons({ layer: 7, induce: 0, kl: 0.1 }, F)).toEqual(['late-layer']);
    // A score that could not be computed passes no filter.
    expect(dropReasons({ layer: 1, induce: Number.NaN, kl: Number.NaN }, F)).toEqual(['kl', 'induce']);
  });

  it('chooses the kept candidate with the lowest bypass score', () => {
    const scores = [score(1, 3, 1, 0.01), score(2, -2, 1, 0.01), score(3, -5, -1, 0.01), score(7, -9, 5, 0)];
    const { chosen, bestDropped } = chooseCandidate(scores);
    expect(chosen?.layer).toBe(2);
    expect(bestDropped).toBeUndefined();
  });

  it('offers the dropped candidate failing the fewest filters when none is kept, lowest bypass first', () => {
    const scores = [
      score(1, -9, -1, 0.5), // kl + induce
      score(2, -3, -1, 0.01), // induce
      score(7, -4, 5, 0.02), // late-layer
      score(3, 4, -2, 0.01), // induce
    ];
    const { chosen, bestDropped } = chooseCandidate(scores);
    expect(chosen).toBeUndefined();
    expect(bestDropped?.layer).toBe(7);
    expect(bestDropped?.dropped).toEqual(['late-layer']);
  });

  it('never chooses or offers a candidate whose bypass score could not be computed', () => {
    const nan = { ...score(2, Number.NaN, 1, 0.01), dropped: [] };
    expect(chooseCandidate([nan, score(3, 5, 1, 0.01)]).chosen?.layer).toBe(3);
    expect(chooseCandidate([nan, score(7, 5, 1, 0.01)]).bestDropped?.layer).toBe(7);
  });

  it('chooses nothing from nothing', () => {
    expect(chooseCandidate([])).toEqual({ chosen: undefined, bestDropped: undefined });
  });
});
