import { describe, expect, it } from 'vitest';
import {
  cellColour,
  cellValue,
  lensTable,
  scaleMax,
  tokenLabel,
  topChanged,
  trackSeries,
  trackTable,
} from '../../../../../src/app/views/lens/grid';
import type { LensGrid, LensOutcome } from '../../../../../src/worker/api';

/** Two rows (embed, post 0) × two positions, k = 2, one tracked token (id 7). */
function grid(
  topIds: number[],
  topProbs: number[],
  entropy: number[],
  kl: number[],
  tracked: number[],
): LensGrid {
  return {
    topIds: Int32Array.from(topIds),
    topProbs: Float32Array.from(topProbs),
    entropy: Float32Array.from(entropy),
    kl: Float32Array.from(kl),
    trackedProbs: Float32Array.from(tracked),
    trackedRanks: Int32Array.from(tracked.map((p) => (p > 0.5 ? 0 : 3))),
  };
}

const baseline = grid(
  [7, 8, 9, 7, 7, 9, 8, 7],
  [0.5, 0.2, 0.6, 0.3, 0.9, 0.05, 0.7, 0.2],
  [1, 2, 0.5, 0.8],
  [0.4, 0.3, 0, 0],
  [0.5, 0.3, 0.9, 0.2],
);
const steered = grid(
  [7, 8, 9, 7, 8, 7, 8, 7],
  [0.5, 0.2, 0.6, 0.3, 0.6, 0.3, 0.8, 0.1],
  [1, 2, 1.5, 0.8],
  [0.4, 0.3, 0, 0],
  [0.5, 0.3, 0.3, 0.1],
);

const outcome: LensOutcome = {
  kind: 'logit',
  tunedAvailable: false,
  tokens: [1, 2],
  rows: [
    { label: 'embed', layer: 0, point: 'embed' },
    { label: 'post 0', layer: 0, point: 'resid_post' },
  ],
  k: 2,
  tracked: [7],
  baseline,
  steered,
  texts: { 1: 'Once', 2: '\nupon', 7: ' cat', 8: ' dog', 9: ',' },
  ms: 1,
};

describe('lens grid helpers', () => {
  it('colours a difference cell by the change in probability of the steered top token', () => {
    // Cell 2 (post 0, position 0): steered top is 8 at 0.6; the baseline had 8 outside its top-k.
    expect(cellValue(outcome, 'difference', 'probability', 2)).toBeCloseTo(0.6, 6);
    // Cell 3: steered top 8 at 0.8; the baseline had 8 at 0.7.
    expect(cellValue(outcome, 'difference', 'probability', 3)).toBeCloseTo(0.1, 6);
    expect(cellValue(outcome, 'difference', 'entropy', 2)).toBeCloseTo(1, 6);
    expect(cellValue(outcome, 'baseline', 'probability', 2)).toBeCloseTo(0.9, 6);
  });

  it('marks cells whose top token the steering changed', () => {
    expect([0, 1, 2, 3].map((c) => topChanged(outcome, c))).toEqual([false, false, true, false]);
  });

  it('scales probability to 1 and other measures to their largest magnitude', () => {
    expect(scaleMax(outcome, 'steered', 'probability')).toBe(1);
    expect(scaleMax(outcome, 'baseline', 'kl')).toBeCloseTo(0.4, 6);
    expect(scaleMax(outcome, 'difference', 'probability')).toBeCloseTo(0.6, 6);
  });

  it('uses light text on dark cells, red for a fall and blue for a rise', () => {
    expect(cellColour(1, 1, 'baseline').light).toBe(true);
    expect(cellColour(0, 1, 'baseline').light).toBe(false);
    const rgb = (c: string) => c.match(/\d+/g)!.map(Number);
    const [r, , b] = rgb(cellColour(-1, 1, 'difference').fill);
    expect(r).toBeGreaterThan(b!);
    const [r2, , b2] = rgb(cellColour(1, 1, 'difference').fill);
    expect(b2).toBeGreaterThan(r2!);
  });

  it('shows newlines and empty tokens as visible marks', () => {
    expect(tokenLabel('\nupon')).toBe('⏎upon');
    expect(tokenLabel('')).toBe('∅');
  });

  it('reads the tracked token at every layer for one position', () => {
    expect(trackSeries(outcome, baseline, 1).map((p) => p.p)).toEqual([
      expect.closeTo(0.3, 6),
      expect.closeTo(0.2, 6),
    ]);
    expect(trackSeries(outcome, steered, 0).map((p) => p.rank)).toEqual([3, 3]);
  });

  it('writes one CSV row per run, layer and position with the top-k columns', () => {
    const t = lensTable(outcome);
    expect(t.header.slice(0, 9)).toEqual([
      'run',
      'lens',
      'layer',
      'position',
      'input_token',
      'entropy',
      'kl_to_final',
      'top1_token',
      'top1_id',
    ]);
    expect(t.rows.length).toBe(2 * 2 * 2);
    expect(t.rows[2]).toEqual([
      'baseline',
      'logit',
      'post 0',
      0,
      'Once',
      0.5,
      0,
      ' cat',
      7,
      expect.closeTo(0.9, 6),
      ',',
      9,
      expect.closeTo(0.05, 6),
    ]);
    const track = trackTable(outcome, 0);
    expect(track.header).toEqual([
      'layer',
      'position',
      'token_id',
      'baseline_prob',
      'baseline_rank',
      'steered_prob',
      'steered_rank',
    ]);
    expect(track.rows.length).toBe(2);
  });
});
