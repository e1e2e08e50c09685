/**
 * What every layers × heads grid draws the same way (the heads view's grid and the function
 * vectors' AIE grid): the cell geometry, the H/L axis labels and the colour legend.
 */
import { type ColorScale, shortNumber } from './color';
import './grid-parts.css';

export const CELL = 46;
export const GAP = 3;
export const LEFT = 44;
export const TOP = 26;
export const LEGEND = 56;

/** The top-left corner of a head's cell. */
export function cellOrigin(layer: number, head: number): { x: number; y: number } {
  return { x: LEFT + head * (CELL + GAP), y: TOP + layer * (CELL + GAP) };
}

/** H0… above the columns and L0… beside the rows. */
export function HeadAxes(props: { readonly nLayers: number; readonly nHeads: number }) {
  return (
    <>
      {Array.from({ length: props.nHeads }, (_, head) => (
        <text
          key={`h${head}`}
          className="axis-label"
          x={cellOrigin(0, head).x + CELL / 2}
          y={TOP - 8}
          textAnchor="middle"
        >
          {`H${head}`}
        </text>
      ))}
      {Array.from({ length: props.nLayers }, (_, layer) => (
        <text
          key={`l${layer}`}
          className="axis-label"
          x={LEFT - 8}
          y={cellOrigin(layer, 0).y + CELL / 2}
          textAnchor="end"
          dominantBaseline="central"
        >
          {`L${layer}`}
        </text>
      ))}
    </>
  );
}

/** The colour scale as a gradient bar with its ends (and 0 when diverging), and what it measures. */
export function GridLegend(props: {
  readonly scale: ColorScale;
  readonly label: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  /** The gradient's element id: unique per grid, since two grids can share a page. */
  readonly gradientId: string;
  readonly testId?: string;
}) {
  const { scale, x, y, width, gradientId } = props;
  const ticks = scale.kind === 'diverging' ? [scale.min, 0, scale.max] : [scale.min, scale.max];
  return (
    <g className="legend" data-testid={props.testId} data-min={scale.min} data-max={scale.max}>
      <defs>
        <linearGradient id={gradientId}>
          {scale.stops.map(([o, c]) => (
            <stop key={o} offset={o} stopColor={c} />
          ))}
        </linearGradient>
      </defs>
      <rect x={x} y={y} width={width} height={10} fill={`url(#${gradientId})`} stroke="var(--border)" />
      {ticks.map((t) => (
        <text
          key={t}
          className="axis-label"
          x={x + ((t - scale.min) / (scale.max - scale.min)) * width}
          y={y + 22}
          textAnchor="middle"
        >
          {shortNumber(t)}
        </text>
      ))}
      <text className="axis-label" x={x} y={y + 38}>
        {props.label}
      </text>
    </g>
  );
}
