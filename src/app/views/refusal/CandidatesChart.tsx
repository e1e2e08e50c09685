/**
 * The candidates of METHODS.md §5 side by side: bypass, induce and KL by layer, one line per
 * post-instruction position. Each panel draws its filter (induce ≥ 0, KL ≤ 0.1) and shades the late
 * layers the selection drops; a dropped candidate is a hollow point, a kept one filled, and the
 * chosen one (or the fallback offered when none was kept) is ringed and labelled.
 */
import type { Ref } from 'react';
import type { RefusalCandidateScore, RefusalFound } from '../../../worker';
import { ChartSvg, ValueGrid, XLabel } from '../../charts/parts';
import { extent, fmt, linear, SERIES, ticks } from '../../charts/scale';

const PANEL_W = 230;
const PANEL_H = 170;
const M = { top: 26, right: 12, bottom: 34, left: 44 };
const LEGEND_H = 26;

type Metric = 'bypass' | 'induce' | 'kl';
const PANELS: readonly { key: Metric; title: string; limit?: (f: RefusalFound) => number; note: string }[] = [
  { key: 'bypass', title: 'Bypass (harmful, ablated)', note: 'lower is better' },
  { key: 'induce', title: 'Induce (harmless, +r)', limit: () => 0, note: 'kept at ≥ 0' },
  { key: 'kl', title: 'KL on harmless (ablated)', limit: (f) => f.maxKl, note: 'kept at ≤ max' },
];

export function CandidatesChart(props: {
  readonly found: RefusalFound;
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { found } = props;
  const marked = found.chosen ?? found.fallback;
  const width = PANELS.length * PANEL_W;
  const height = PANEL_H + LEGEND_H;
  return (
    <ChartSvg
      svgRef={props.svgRef}
      className="candidates-chart"
      width={width}
      height={height}
      label={`Candidate scores by layer and position; ${marked ? `${found.chosen ? 'chosen' : 'best dropped'}: layer ${marked.layer}, position ${marked.position}` : 'none scored'}`}
      testid="candidates-chart"
    >
      {PANELS.map((p, i) => (
        <g key={p.key} transform={`translate(${i * PANEL_W},0)`}>
          <Panel found={found} metric={p.key} title={p.title} limit={p.limit?.(found)} marked={marked} />
        </g>
      ))}
      <g transform={`translate(${M.left},${PANEL_H + 6})`} className="legend">
        {found.positions.map((pos, i) => (
          <g key={pos} transform={`translate(${i * 58},0)`}>
            <line x1={0} x2={14} y1={6} y2={6} stroke={SERIES[i % SERIES.length]} strokeWidth={2} />
            <text x={18} y={10}>
              pos {pos}
            </text>
          </g>
        ))}
        <g transform={`translate(${found.positions.length * 58 + 8},0)`}>
          <circle cx={5} cy={6} r={3.5} className="dropped-point" />
          <text x={12} y={10}>
            dropped
          </text>
          <circle cx={78} cy={6} r={6} className="chosen-ring" />
          <text x={88} y={10}>
            {found.chosen ? 'chosen' : 'best dropped'}
          </text>
        </g>
      </g>
    </ChartSvg>
  );
}

function Panel(props: {
  found: RefusalFound;
  metric: Metric;
  title: string;
  limit: number | undefined;
  marked: RefusalCandidateScore | undefined;
}) {
  const { found, metric, limit, marked } = props;
  const values = found.scores.map((s) => s[metric]);
  const [lo, hi] = extent(limit === undefined ? values : [...values, limit]);
  const L = found.nLayers;
  const x = linear([-0.5, L - 0.5], [M.left, PANEL_W - M.right]);
  const y = linear([lo, hi], [PANEL_H - M.bottom, M.top]);
  const late = Math.ceil(found.lateFrom);
  const byPos = found.positions.map((pos) => found.scores.filter((s) => s.position === pos));
  const layerTicks = L <= 12 ? [...Array(L).keys()] : ticks(0, L - 1, 6);
  return (
    <g className={`panel-${metric}`}>
      <text x={M.left} y={14} className="chart-title">
        {props.title}
      </text>
      {late < L && (
        <rect
          className="late-zone"
          x={x(late - 0.5)}
          y={M.top}
          width={x(L - 0.5) - x(late - 0.5)}
          height={PANEL_H - M.bottom - M.top}
        >
          <title>Layers ≥ 0.8·L are dropped (late-layer filter)</title>
        </rect>
      )}
      <ValueGrid y={y} lo={lo} hi={hi} left={M.left} right={PANEL_W - M.right} />
      {layerTicks.map((l) => (
        <text key={l} className="tick" x={x(l)} y={PANEL_H - M.bottom + 12} textAnchor="middle">
          {l}
        </text>
      ))}
      <XLabel left={M.left} right={PANEL_W - M.right} y={PANEL_H - 6}>
        layer
      </XLabel>
      {limit !== undefined && (
        <line className="limit" x1={M.left} x2={PANEL_W - M.right} y1={y(limit)} y2={y(limit)}>
          <title>filter: {metric === 'kl' ? `KL ≤ ${limit}` : 'induce ≥ 0'}</title>
        </line>
      )}
      {byPos.map((scores, i) => {
        const color = SERIES[i % SERIES.length]!;
        const pts = scores.filter((s) => Number.isFinite(s[metric]));
        return (
          <g key={found.positions[i]}>
            <polyline
              fill="none"
              stroke={color}
              strokeWidth={1.5}
              points={pts.map((s) => `${x(s.layer)},${y(s[metric])}`).join(' ')}
            />
            {pts.map((s) => (
              <circle
                key={s.layer}
                cx={x(s.layer)}
                cy={y(s[metric])}
                r={3}
                fill={s.dropped.length ? 'none' : color}
                stroke={color}
                strokeWidth={1.2}
              >
                <title>
                  layer {s.layer}, position {s.position}: bypass {fmt(s.bypass)}, induce {fmt(s.induce)}, KL{' '}
                  {fmt(s.kl, 3)}
                  {s.dropped.length ? ` — dropped (${s.dropped.join(', ')})` : ' — kept'}
                </title>
              </circle>
            ))}
          </g>
        );
      })}
      {marked && Number.isFinite(marked[metric]) && (
        <g className="chosen-mark" data-testid={`chosen-${metric}`}>
          <circle className="chosen-ring" cx={x(marked.layer)} cy={y(marked[metric])} r={7} />
          <text x={x(marked.layer)} y={y(marked[metric]) - 10} textAnchor="middle" className="chosen-label">
            L{marked.layer} p{marked.position}
          </text>
        </g>
      )}
    </g>
  );
}
