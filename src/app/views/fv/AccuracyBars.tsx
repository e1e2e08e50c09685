/**
 * Held-out accuracy of a task three ways: the few-shot prompts (the reference), the bare zero-shot
 * queries, and the same queries with the function vector added. One bar each, value in a data
 * attribute for tests and a title for people.
 */
import type { Ref } from 'react';
import { linear, ticks, tickText } from '../refusal/scale';
import '../../charts/charts.css';

const W = 420;
const H = 190;
const M = { top: 14, right: 12, bottom: 40, left: 44 };

export function AccuracyBars(props: {
  readonly bars: readonly { readonly label: string; readonly value: number; readonly id: string }[];
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { bars } = props;
  const y = linear([0, 1], [H - M.bottom, M.top]);
  const band = (W - M.left - M.right) / bars.length;
  return (
    <svg
      ref={props.svgRef}
      className="refusal-chart layer-bars fv-accuracy"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={bars.map((b) => `${b.label} ${Math.round(100 * b.value)}%`).join(', ')}
      data-testid="fv-accuracy"
    >
      {ticks(0, 1).map((t) => (
        <g key={t}>
          <line className="grid" x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
          <text className="tick" x={M.left - 4} y={y(t) + 3} textAnchor="end">
            {tickText(t)}
          </text>
        </g>
      ))}
      {bars.map((b, i) => (
        <g key={b.id}>
          <rect
            className={b.id === 'zero-shot-fv' ? 'bar marked' : 'bar'}
            x={M.left + i * band + band * 0.2}
            width={band * 0.6}
            y={y(b.value)}
            height={Math.max(0, y(0) - y(b.value))}
            data-testid={`accuracy-${b.id}`}
            data-value={b.value}
          >
            <title>{`${b.label}: ${Math.round(100 * b.value)}%`}</title>
          </rect>
          <text className="tick" x={M.left + (i + 0.5) * band} y={y(b.value) - 4} textAnchor="middle">
            {`${Math.round(100 * b.value)}%`}
          </text>
          <text className="tick" x={M.left + (i + 0.5) * band} y={H - M.bottom + 14} textAnchor="middle">
            {b.label}
          </text>
        </g>
      ))}
      <text className="tick" x={M.left} y={H - 6}>
        accuracy on the held-out items
      </text>
    </svg>
  );
}
