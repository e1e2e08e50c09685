/**
 * The average indirect effect of each head as a layers × heads grid (one SVG, legend included, so
 * it exports whole): colour and number are the AIE, and the heads summed into the function vector
 * (the top k) are outlined and marked, so the choice reads without colour.
 */
import type { Ref } from 'react';
import { colorScale, shortNumber } from '../heads/color';
import { CELL, cellOrigin, GAP, GridLegend, HeadAxes, LEFT, LEGEND, TOP } from '../heads/grid-parts';

export function AieGrid(props: {
  readonly nLayers: number;
  readonly nHeads: number;
  /** AIE[l,h], row-major [layers, heads]. */
  readonly values: ArrayLike<number>;
  /** The heads summed into the FV. */
  readonly chosen: readonly { readonly layer: number; readonly head: number }[];
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { nLayers: L, nHeads: H, values, chosen } = props;
  const all = Array.from(values);
  const scale = colorScale(all, 'diverging');
  const isChosen = new Set(chosen.map((c) => c.layer * H + c.head));
  const gridWidth = H * (CELL + GAP) - GAP;
  const width = LEFT + Math.max(gridWidth, 140) + 8;
  const gridHeight = TOP + L * (CELL + GAP);
  const height = gridHeight + LEGEND;
  return (
    <svg
      ref={props.svgRef}
      className="head-grid aie-grid"
      data-testid="aie-grid"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={`Average indirect effect of each head: ${L} layers × ${H} heads; ${chosen.length} chosen for the function vector`}
    >
      <title>Average indirect effect of each head (outlined: summed into the function vector)</title>
      <HeadAxes nLayers={L} nHeads={H} />
      {all.map((v, i) => {
        const layer = Math.floor(i / H);
        const head = i % H;
        const { x, y } = cellOrigin(layer, head);
        const picked = isChosen.has(i);
        return (
          <g
            key={i}
            className={picked ? 'aie-cell chosen' : 'aie-cell'}
            data-testid="aie-cell"
            data-layer={layer}
            data-head={head}
            data-value={String(v)}
            data-chosen={picked ? 'true' : 'false'}
          >
            <title>{`L${layer}.H${head}: AIE ${shortNumber(v)}${picked ? ' (in the FV)' : ''}`}</title>
            <rect
              className="cell-bg"
              x={x}
              y={y}
              width={CELL}
              height={CELL}
              rx={4}
              style={{ fill: scale.color(v) }}
            />
            {picked && (
              <rect
                className="chosen-outline"
                x={x + 2}
                y={y + 2}
                width={CELL - 4}
                height={CELL - 4}
                rx={3}
                style={{ fill: 'none', stroke: 'var(--text)', strokeWidth: 2 }}
              />
            )}
            <text
              className="cell-value"
              x={x + CELL / 2}
              y={y + CELL / 2 + (picked ? 6 : 0)}
              textAnchor="middle"
              dominantBaseline="central"
              style={{ fill: scale.ink(v) }}
            >
              {shortNumber(v)}
            </text>
            {picked && (
              <text className="gate-mark" x={x + 5} y={y + 12} style={{ fill: scale.ink(v) }}>
                ★
              </text>
            )}
          </g>
        );
      })}
      <GridLegend
        scale={scale}
        label="AIE: gain in P(answer), ★ summed into the FV"
        gradientId="aie-legend"
        x={LEFT}
        y={gridHeight + 10}
        width={Math.max(140, gridWidth)}
      />
    </svg>
  );
}
