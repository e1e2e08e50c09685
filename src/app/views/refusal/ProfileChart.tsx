/**
 * The refusal score of the current prompt at every residual point: its projection onto the unit
 * refusal direction, against the mean projections of the harmful and harmless references. Where
 * the prompt's line follows the harmful one, the model is on its way to refusing.
 */
import type { Ref } from 'react';
import type { RefusalProfile } from '../../../worker';
import { ChartSvg, ValueGrid, XLabel, YLabel } from '../../charts/parts';
import { extent, fmt, linear } from '../../charts/scale';

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
    <ChartSvg
      svgRef={props.svgRef}
      className="profile-chart"
      width={W}
      height={H}
      label="Refusal score by layer for this prompt against the harmful and harmless references"
      testid="profile-chart"
    >
      <ValueGrid y={y} lo={lo} hi={hi} left={M.left} right={W - M.right} />
      {p.labels.map((label, i) =>
        i % every === 0 || i === n - 1 ? (
          <text key={label} className="tick" x={x(i)} y={H - M.bottom + 12} textAnchor="middle">
            {i === n - 1 ? 'out' : i}
          </text>
        ) : null,
      )}
      <XLabel left={M.left} right={W - M.right} y={H - 8}>
        resid_pre layer (out = final residual)
      </XLabel>
      <YLabel top={M.top} bottom={H - M.bottom}>
        projection on r̂
      </YLabel>
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
    </ChartSvg>
  );
}
