/**
 * What the lens heatmap and the tracking chart show, computed from the worker's grids: cell
 * values per measure and mode, colour scales, top-k lists, and the CSV tables. Plain functions of
 * plain numbers (no React, no DOM), so they read and test on their own.
 */
import { interpolateBlues, interpolateRdBu } from 'd3-scale-chromatic';
import type { LensViewSettings } from '../../../experiment';
import type { LensGrid, LensOutcome } from '../../../worker';
import type { CsvTable } from '../../charts/ExportButtons';

export type LensMode = LensViewSettings['mode'];
export type LensMeasure = LensViewSettings['measure'];

export const MEASURE_LABELS: Record<LensMeasure, string> = {
  probability: 'Top-token probability',
  entropy: 'Entropy (nats)',
  kl: 'KL to the final layer (nats)',
};

/** The grid a mode shows its tokens from: the steered run (where there is one) or the baseline. */
export function shownGrid(o: LensOutcome, mode: LensMode): LensGrid {
  return mode === 'baseline' ? o.baseline : (o.steered ?? o.baseline);
}

/** The measure of one cell (index = row · positions + position) of one grid. */
export function measureAt(g: LensGrid, measure: LensMeasure, cell: number, k: number): number {
  if (measure === 'probability') return g.topProbs[cell * k] ?? 0;
  if (measure === 'entropy') return g.entropy[cell] ?? 0;
  return g.kl[cell] ?? 0;
}

/**
 * The value a cell is coloured by. In the difference view: steered − baseline of the measure; for
 * probability, the change in the probability of the steered run's top token.
 */
export function cellValue(o: LensOutcome, mode: LensMode, measure: LensMeasure, cell: number): number {
  const g = shownGrid(o, mode);
  if (mode !== 'difference') return measureAt(g, measure, cell, o.k);
  if (measure === 'probability') {
    const id = g.topIds[cell * o.k]!;
    return (g.topProbs[cell * o.k] ?? 0) - probabilityIn(o.baseline, o.k, cell, id);
  }
  return measureAt(g, measure, cell, o.k) - measureAt(o.baseline, measure, cell, o.k);
}

/** A token's probability in a grid's top-k of a cell (0 when it is not among them). */
function probabilityIn(g: LensGrid, k: number, cell: number, id: number): number {
  for (let j = 0; j < k; j++) if (g.topIds[cell * k + j] === id) return g.topProbs[cell * k + j]!;
  return 0;
}

/** Whether the steered run's top token differs from the baseline's at a cell. */
export function topChanged(o: LensOutcome, cell: number): boolean {
  return o.steered !== undefined && o.steered.topIds[cell * o.k] !== o.baseline.topIds[cell * o.k];
}

/** The colour scale's range: [0, 1] for probability, [0, max] for the others, ±max for differences. */
export function scaleMax(o: LensOutcome, mode: LensMode, measure: LensMeasure): number {
  if (mode !== 'difference' && measure === 'probability') return 1;
  let max = 0;
  const cells = o.rows.length * o.tokens.length;
  for (let c = 0; c < cells; c++) max = Math.max(max, Math.abs(cellValue(o, mode, measure, c)));
  return max > 0 ? max : 1;
}

/**
 * A cell's fill, and whether its text should be light, for a value on the scale: d3's Blues for
 * a measure (0 → white), RdBu for a difference (red down, white at 0, blue up).
 */
export function cellColour(value: number, max: number, mode: LensMode): { fill: string; light: boolean } {
  const t = Math.max(-1, Math.min(1, value / max));
  if (mode === 'difference') return { fill: interpolateRdBu((1 + t) / 2), light: Math.abs(t) > 0.6 };
  const u = Math.abs(t);
  return { fill: interpolateBlues(0.04 + 0.96 * u), light: u > 0.55 };
}

/** A token as one line of text: newlines and tabs made visible, nothing as ∅. */
export function tokenLabel(text: string | undefined): string {
  if (text === undefined || text === '') return '∅';
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥').replace(/\r/g, '');
}

export interface TopToken {
  readonly id: number;
  readonly text: string;
  readonly p: number;
}

export function topTokens(o: LensOutcome, g: LensGrid, cell: number): TopToken[] {
  return Array.from({ length: o.k }, (_, j) => {
    const id = g.topIds[cell * o.k + j]!;
    return { id, text: tokenLabel(o.texts[id]), p: g.topProbs[cell * o.k + j]! };
  });
}

export interface TrackPoint {
  readonly row: string;
  readonly p: number;
  readonly rank: number;
}

/** The tracked token's probability and rank at every layer, at one position, for a grid. */
export function trackSeries(o: LensOutcome, g: LensGrid, position: number): TrackPoint[] {
  const n = o.tokens.length;
  const t = o.tracked.length;
  return o.rows.map((r, row) => {
    const i = (row * n + position) * t; // first tracked token
    return { row: r.label, p: g.trackedProbs[i] ?? 0, rank: g.trackedRanks[i] ?? 0 };
  });
}

/** Every cell as a CSV row: top-k with probabilities, entropy, KL, for each run. */
export function lensTable(o: LensOutcome): CsvTable {
  const runs: [string, LensGrid][] = [['baseline', o.baseline]];
  if (o.steered) runs.push(['steered', o.steered]);
  const header = ['run', 'lens', 'layer', 'position', 'input_token', 'entropy', 'kl_to_final'];
  for (let j = 1; j <= o.k; j++) header.push(`top${j}_token`, `top${j}_id`, `top${j}_prob`);
  const rows: (string | number)[][] = [];
  const n = o.tokens.length;
  for (const [run, g] of runs)
    o.rows.forEach((r, row) => {
      for (let pos = 0; pos < n; pos++) {
        const cell = row * n + pos;
        const line: (string | number)[] = [run, o.kind, r.label, pos, o.texts[o.tokens[pos]!] ?? ''];
        line.push(g.entropy[cell]!, g.kl[cell]!);
        for (const t of topTokens(o, g, cell)) line.push(t.text, t.id, t.p);
        rows.push(line);
      }
    });
  return { header, rows };
}

export function trackTable(o: LensOutcome, position: number): CsvTable {
  const base = trackSeries(o, o.baseline, position);
  const steered = o.steered ? trackSeries(o, o.steered, position) : undefined;
  const header = ['layer', 'position', 'token_id', 'baseline_prob', 'baseline_rank'];
  if (steered) header.push('steered_prob', 'steered_rank');
  const rows = base.map((b, i) => {
    const line: (string | number)[] = [b.row, position, o.tracked[0] ?? '', b.p, b.rank];
    if (steered) line.push(steered[i]!.p, steered[i]!.rank);
    return line;
  });
  return { header, rows };
}
