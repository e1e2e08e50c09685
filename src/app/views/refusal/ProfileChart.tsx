/**
 * The refusal score of the current prompt at every residual point: its projection onto the unit
 * refusal direction, against the mean projections of the harmful and harmless references. Where
 * the prompt's line follows the harmful one, the model is on its way to refusing.
 */
import type { Ref } from 'react';
import type { RefusalProfile } from '../../../worker';
import { extent, fmt, linear, ticks, tickText } from './scale';
import '../../charts/charts.css';

const W = 600;
const H = 220;
const M = { top: 16, right: 130, bottom: 40, left: 48 };

const SERIES = [
  { key: 'harmful', label: 'harmful (mean)', className: 'line-harmful' },
  { key: 'harmless', label: 'harmless (mean)', className: 'line-harmless' },
  { key: 'prompt', label: 'this prompt', className: 'line-prompt' },
] as const;

export function ProfileChart(props: {
  readonly profile: RefusalProfile;
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const p = props.profile;
  const n = p.labels.length;
  const x = linear([0, n - 1], [M.left, W - M.right]);
  const [lo, hi] = extent([...p.prompt, ...p.harmful, ...p.harmless]);
  const y = linear([lo, hi], [H - M.bottom, M.top]);
  const every = Math.max(1, Math.ceil(n / 12));
  return (
    <svg
      ref={props.svgRef}
      className="refusal-chart profile-chart"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label="Refusal score by layer for this prompt against the harmful and harmless references"
      data-testid="profile-chart"
    >
      {ticks(lo, hi).map((t) => (
        <g key={t}>
          <line className="grid" x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
          <text className="tick" x={M.left - 4} y={y(t) + 3} textAnchor="end">
            {tickText(t)}
          </text>
        </g>
      ))}
      {p.labels.map((label, i) =>
        i % every === 0 || i === n - 1 ? (
          <text key={label} className="tick" x={x(i)} y={H - M.bottom + 12} textAnchor="middle">
            {i === n - 1 ? 'out' : i}
          </text>
        ) : null,
      )}
      <text className="axis-label" x={(M.left + W - M.right) / 2} y={H - 8} textAnchor="middle">
        resid_pre layer (out = final residual)
      </text>
      <text
        className="axis-label"
        transform={`translate(12,${(M.top + H - M.bottom) / 2}) rotate(-90)`}
        textAnchor="middle"
      >
        projection on r̂
      </text>
      {SERIES.map((s, k) => (
        <g key={s.key} className={s.className} data-testid={`profile-${s.key}`}>
          <polyline fill="none" points={p[s.key].map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
          {p[s.key].map((v, i) => (
            <circle key={p.labels[i]} cx={x(i)} cy={y(v)} r={2.5}>
              <title>
                {p.labels[i]}: {s.label} {fmt(v)}
              </title>
            </circle>
          ))}
          <g transform={`translate(${W - M.right + 12},${M.top + 8 + k * 18})`}>
            <line x1={0} x2={16} y1={0} y2={0} />
            <text x={20} y={4} className="legend-text">
              {s.label}
            </text>
          </g>
        </g>
      ))}
    </svg>
  );
}
