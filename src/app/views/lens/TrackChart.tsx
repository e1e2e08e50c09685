/**
 * A tracked token across layers at one position: its probability (top panel, 0 to 1) and its
 * rank (bottom panel, log scale, rank 0 = the top token at the top), baseline solid and steered
 * dashed. Plain SVG for the export buttons.
 */
import { scaleLinear, scaleLog } from 'd3-scale';
import { line } from 'd3-shape';
import type { Ref } from 'react';
import type { LensOutcome } from '../../../worker';
import { type TrackPoint, trackSeries } from './grid';

const W = 520;
const PANEL_H = 110;
const GAP = 34;
const LEFT = 52;
const RIGHT = 110;
const TOP = 14;
const H = TOP + 2 * PANEL_H + GAP + 28;

export function TrackChart(props: {
  readonly outcome: LensOutcome;
  readonly position: number;
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { outcome: o, position } = props;
  const rows = o.rows.length;
  const x = scaleLinear()
    .domain([0, Math.max(1, rows - 1)])
    .range([LEFT, W - RIGHT]);
  const yP = scaleLinear()
    .domain([0, 1])
    .range([TOP + PANEL_H, TOP]);
  const maxRank = Math.max(9, vocabGuess(o));
  // Rank 0 (the top token) at the top; log of rank + 1, so that 0 has a place.
  const rankScale = scaleLog()
    .domain([1, maxRank + 1])
    .range([TOP + PANEL_H + GAP, TOP + 2 * PANEL_H + GAP]);
  const yR = (rank: number) => rankScale(rank + 1);
  const series: [string, TrackPoint[]][] = [['baseline', trackSeries(o, o.baseline, position)]];
  if (o.steered) series.push(['steered', trackSeries(o, o.steered, position)]);
  const path = (pts: TrackPoint[], y: (pt: TrackPoint) => number) =>
    line<TrackPoint>(
      (_, i) => x(i),
      (pt) => y(pt),
    )(pts) ?? '';
  const rankTicks = [0, 9, 99, 999, 9999].filter((r) => r <= maxRank);
  return (
    <svg
      ref={props.svgRef}
      className="lens-track"
      width={W}
      height={H}
      viewBox={`0 0 ${W} ${H}`}
      role="img"
      aria-label="Tracked token: probability and rank across layers"
      data-testid="lens-track-chart"
    >
      {[0, 0.5, 1].map((p) => (
        <g key={`p${p}`}>
          <line className="lens-grid" x1={LEFT} x2={W - RIGHT} y1={yP(p)} y2={yP(p)} />
          <text className="lens-axis" x={LEFT - 6} y={yP(p) + 4} textAnchor="end">
            {p}
          </text>
        </g>
      ))}
      <text className="lens-axis" x={W - RIGHT + 8} y={TOP + PANEL_H / 2}>
        probability
      </text>
      {rankTicks.map((r) => (
        <g key={`r${r}`}>
          <line className="lens-grid" x1={LEFT} x2={W - RIGHT} y1={yR(r)} y2={yR(r)} />
          <text className="lens-axis" x={LEFT - 6} y={yR(r) + 4} textAnchor="end">
            {r + 1}
          </text>
        </g>
      ))}
      <text className="lens-axis" x={W - RIGHT + 8} y={TOP + PANEL_H + GAP + PANEL_H / 2}>
        rank (1 = top)
      </text>
      {o.rows.map((r, i) => (
        <text key={r.label} className="lens-axis" x={x(i)} y={H - 8} textAnchor="middle">
          {r.label}
        </text>
      ))}
      {series.map(([run, pts]) => (
        <g key={run} className={`lens-series ${run}`}>
          <path
            className="lens-line"
            data-testid="lens-track-line"
            data-run={run}
            data-values={pts.map((pt) => pt.p.toPrecision(4)).join(' ')}
            d={path(pts, (pt) => yP(pt.p))}
          />
          <path className="lens-line" data-run={run} d={path(pts, (pt) => yR(pt.rank))} />
          {pts.map((pt, i) => (
            <circle key={pt.row} className="lens-dot" cx={x(i)} cy={yP(pt.p)} r={2.5} />
          ))}
        </g>
      ))}
      {series.map(([run], i) => (
        <g key={`legend-${run}`} className={`lens-series ${run}`}>
          <line
            className="lens-line"
            x1={W - RIGHT + 8}
            x2={W - RIGHT + 30}
            y1={H - 40 + i * 14}
            y2={H - 40 + i * 14}
          />
          <text className="lens-axis" x={W - RIGHT + 34} y={H - 36 + i * 14}>
            {run}
          </text>
        </g>
      ))}
    </svg>
  );
}

/** The rank axis reaches the worst rank shown, rounded up to a power of ten. */
function vocabGuess(o: LensOutcome): number {
  let worst = 0;
  for (const g of [o.baseline, o.steered]) if (g) for (const r of g.trackedRanks) worst = Math.max(worst, r);
  return 10 ** Math.ceil(Math.log10(worst + 1)) - 1;
}
