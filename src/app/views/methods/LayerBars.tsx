/**
 * One bar per layer with an optional threshold line: the methods view's charts (mean layer
 * activity against τ, the share of MLP activations under ε). Bars flagged by `marked` (idle
 * layers) are drawn in the accent colour. Values are in data attributes for tests and titles for
 * people.
 */
import type { Ref } from 'react';
import { fmt, linear, ticks, tickText } from '../refusal/scale';
import '../../charts/charts.css';

const W = 600;
const H = 200;
const M = { top: 14, right: 16, bottom: 36, left: 48 };

export function LayerBars(props: {
  readonly values: readonly number[];
  /** The y axis's label. */
  readonly label: string;
  /** The upper end of the y axis (default: the largest value). */
  readonly max?: number;
  readonly threshold?: { readonly value: number; readonly label: string };
  readonly marked?: readonly boolean[];
  readonly testid: string;
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { values, threshold, marked } = props;
  const n = values.length;
  const top = props.max ?? Math.max(...values, threshold?.value ?? 0, 1e-9);
  const y = linear([0, top], [H - M.bottom, M.top]);
  const band = (W - M.left - M.right) / Math.max(1, n);
  const every = Math.max(1, Math.ceil(n / 16));
  return (
    <svg
      ref={props.svgRef}
      className="refusal-chart layer-bars"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={`${props.label} by layer`}
      data-testid={props.testid}
    >
      {ticks(0, top).map((t) => (
        <g key={t}>
          <line className="grid" x1={M.left} x2={W - M.right} y1={y(t)} y2={y(t)} />
          <text className="tick" x={M.left - 4} y={y(t) + 3} textAnchor="end">
            {tickText(t)}
          </text>
        </g>
      ))}
      {values.map((v, l) => (
        <g key={l}>
          <rect
            className={marked?.[l] ? 'bar marked' : 'bar'}
            x={M.left + l * band + band * 0.15}
            width={band * 0.7}
            y={y(Math.max(0, v))}
            height={Math.max(0, y(0) - y(Math.max(0, v)))}
            data-layer={l}
            data-value={v}
          >
            <title>
              layer {l}: {fmt(v, 3)}
              {marked?.[l] ? ' (idle)' : ''}
            </title>
          </rect>
          {(l % every === 0 || l === n - 1) && (
            <text className="tick" x={M.left + (l + 0.5) * band} y={H - M.bottom + 12} textAnchor="middle">
              {l}
            </text>
          )}
        </g>
      ))}
      {threshold && (
        <g className="limit-line">
          <line
            className="limit"
            x1={M.left}
            x2={W - M.right}
            y1={y(threshold.value)}
            y2={y(threshold.value)}
          />
          <text className="tick" x={W - M.right} y={y(threshold.value) - 3} textAnchor="end">
            {threshold.label}
          </text>
        </g>
      )}
      <text className="axis-label" x={(M.left + W - M.right) / 2} y={H - 6} textAnchor="middle">
        layer
      </text>
      <text
        className="axis-label"
        transform={`translate(12,${(M.top + H - M.bottom) / 2}) rotate(-90)`}
        textAnchor="middle"
      >
        {props.label}
      </text>
    </svg>
  );
}
