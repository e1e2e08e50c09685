/**
 * One bar per layer with an optional threshold line: the methods view's charts (mean layer
 * activity against τ, the share of MLP activations under ε). Bars flagged by `marked` (idle
 * layers) are drawn in the accent colour. Values are in data attributes for tests and titles for
 * people.
 */
import type { Ref } from 'react';
import { Bars, ChartSvg, ValueGrid, XLabel, YLabel } from '../../charts/parts';
import { fmt, linear } from '../../charts/scale';

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
    <ChartSvg
      svgRef={props.svgRef}
      className="layer-bars"
      width={W}
      height={H}
      label={`${props.label} by layer`}
      testid={props.testid}
    >
      <ValueGrid y={y} lo={0} hi={top} left={M.left} right={W - M.right} />
      <Bars
        values={values}
        y={y}
        left={M.left}
        band={band}
        inset={0.15}
        bar={(l) => ({
          className: marked?.[l] ? 'bar marked' : 'bar',
          'data-layer': l,
          'data-value': values[l],
          title: `layer ${l}: ${fmt(values[l]!, 3)}${marked?.[l] ? ' (idle)' : ''}`,
        })}
        extra={(l, centre) =>
          (l % every === 0 || l === n - 1) && (
            <text className="tick" x={centre} y={H - M.bottom + 12} textAnchor="middle">
              {l}
            </text>
          )
        }
      />
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
      <XLabel left={M.left} right={W - M.right} y={H - 6}>
        layer
      </XLabel>
      <YLabel top={M.top} bottom={H - M.bottom}>
        {props.label}
      </YLabel>
    </ChartSvg>
  );
}
