/**
 * What the views' SVG charts draw the same way (the layer bars, the accuracy bars, the refusal
 * profile and candidates): the frame, the value grid with its ticks, the axis labels, and a row
 * of bars. Their look is charts.css.
 */
import type { ReactNode, Ref, SVGProps } from 'react';
import { type Linear, ticks, tickText } from './scale';
import './charts.css';

/** The chart's <svg>: its pixel size is its viewBox, its aria-label says what it shows. */
export function ChartSvg(props: {
  readonly svgRef: Ref<SVGSVGElement>;
  /** Besides `refusal-chart`, which every chart has. */
  readonly className: string;
  readonly width: number;
  readonly height: number;
  readonly label: string;
  readonly testid: string;
  readonly children: ReactNode;
}) {
  return (
    <svg
      ref={props.svgRef}
      className={`refusal-chart ${props.className}`}
      viewBox={`0 0 ${props.width} ${props.height}`}
      width={props.width}
      height={props.height}
      role="img"
      aria-label={props.label}
      data-testid={props.testid}
    >
      {props.children}
    </svg>
  );
}

/** Horizontal grid lines at round values of [lo, hi], each with its tick label left of `left`. */
export function ValueGrid(props: {
  readonly y: Linear;
  readonly lo: number;
  readonly hi: number;
  readonly left: number;
  readonly right: number;
}) {
  const { y, left, right } = props;
  return ticks(props.lo, props.hi).map((t) => (
    <g key={t}>
      <line className="grid" x1={left} x2={right} y1={y(t)} y2={y(t)} />
      <text className="tick" x={left - 4} y={y(t) + 3} textAnchor="end">
        {tickText(t)}
      </text>
    </g>
  ));
}

/** The x axis's label, centred under [left, right] at height `y`. */
export function XLabel(props: {
  readonly left: number;
  readonly right: number;
  readonly y: number;
  readonly children: ReactNode;
}) {
  return (
    <text className="axis-label" x={(props.left + props.right) / 2} y={props.y} textAnchor="middle">
      {props.children}
    </text>
  );
}

/** The y axis's label, turned up along the left edge, centred on [top, bottom]. */
export function YLabel(props: {
  readonly top: number;
  readonly bottom: number;
  readonly children: ReactNode;
}) {
  return (
    <text
      className="axis-label"
      transform={`translate(12,${(props.top + props.bottom) / 2}) rotate(-90)`}
      textAnchor="middle"
    >
      {props.children}
    </text>
  );
}

/**
 * One bar per value from 0 up, in equal bands from `left`, `inset` of the band clear on each side;
 * a negative value draws no bar. `bar(i)` adds each rect's class, data attributes and title.
 */
export function Bars(props: {
  readonly values: readonly number[];
  readonly y: Linear;
  readonly left: number;
  readonly band: number;
  readonly inset: number;
  readonly bar: (i: number) => SVGProps<SVGRectElement> & { readonly title: ReactNode };
  /** What to draw in band i besides its bar (value and category labels). */
  readonly extra?: (i: number, centre: number) => ReactNode;
}) {
  const { y, left, band, inset } = props;
  return props.values.map((v, i) => {
    const { title, ...rect } = props.bar(i);
    const top = y(Math.max(0, v));
    return (
      <g key={i}>
        <rect
          x={left + i * band + band * inset}
          width={band * (1 - 2 * inset)}
          y={top}
          height={Math.max(0, y(0) - top)}
          {...rect}
        >
          <title>{title}</title>
        </rect>
        {props.extra?.(i, left + (i + 0.5) * band)}
      </g>
    );
  });
}
