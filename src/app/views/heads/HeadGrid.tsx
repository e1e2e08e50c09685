/**
 * The layers × heads grid as one SVG (so that it exports whole, legend included). Each cell is a
 * focusable button: colour = the measure, number = its value, and a gate shows as a mark in the
 * corner plus a dashed outline, so a gated head reads without colour. Arrow keys move between
 * cells (one tab stop for the grid); Enter or Space gates, with Shift for mean ablation and Alt
 * for the scale.
 */
import { type KeyboardEvent, type MouseEvent, type Ref, useRef, useState } from 'react';
import type { HeadGateSpec } from '../../../worker';
import type { ColorScale } from './color';
import { shortNumber } from './color';
import { type GateMode, gateMark, gateOf, gateWords } from './gates';
import { CELL, cellOrigin, GAP, GridLegend, HeadAxes, LEFT, LEGEND, TOP } from './grid-parts';

export interface HeadRef {
  readonly layer: number;
  readonly head: number;
}

export function HeadGrid(props: {
  readonly nLayers: number;
  readonly nHeads: number;
  /** [layers × heads]; undefined while nothing is scored yet. */
  readonly values: readonly number[] | undefined;
  readonly scale: ColorScale | undefined;
  readonly measureLabel: string;
  readonly gates: readonly HeadGateSpec[];
  /** `mode` undefined: the click's default (the view's chosen click action). */
  readonly onGate: (h: HeadRef, mode: GateMode | undefined) => void;
  readonly onHover: (h: HeadRef | undefined) => void;
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { nLayers: L, nHeads: H, values, scale, gates } = props;
  const [focus, setFocus] = useState<HeadRef>({ layer: 0, head: 0 });
  const cells = useRef(new Map<string, SVGGElement>());
  const width = LEFT + H * (CELL + GAP) + 8;
  const gridHeight = TOP + L * (CELL + GAP);
  const height = gridHeight + LEGEND;

  const modeOf = (e: { shiftKey: boolean; altKey: boolean }): GateMode | undefined =>
    e.shiftKey ? 'mean' : e.altKey ? 'scale' : undefined;

  const move = (layer: number, head: number) => {
    const next = { layer: Math.min(L - 1, Math.max(0, layer)), head: Math.min(H - 1, Math.max(0, head)) };
    setFocus(next);
    cells.current.get(`${next.layer}.${next.head}`)?.focus();
  };

  const onKey = (e: KeyboardEvent, h: HeadRef) => {
    const step: Record<string, [number, number]> = {
      ArrowUp: [-1, 0],
      ArrowDown: [1, 0],
      ArrowLeft: [0, -1],
      ArrowRight: [0, 1],
    };
    const d = step[e.key];
    if (d) {
      e.preventDefault();
      move(h.layer + d[0], h.head + d[1]);
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      move(h.layer, e.key === 'Home' ? 0 : H - 1);
    } else if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      props.onGate(h, modeOf(e));
    }
  };

  const onClick = (e: MouseEvent, h: HeadRef) => {
    setFocus(h);
    props.onGate(h, modeOf(e));
  };

  return (
    // biome-ignore lint/a11y/useSemanticElements: the grid is one SVG (it exports whole); an SVG cannot be a <fieldset>.
    <svg
      ref={props.svgRef}
      className="head-grid"
      data-testid="head-grid"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="group"
      aria-label={`Heads: ${L} layers × ${H} heads, coloured by ${props.measureLabel}`}
    >
      <title>{`Heads coloured by ${props.measureLabel}`}</title>
      <HeadAxes nLayers={L} nHeads={H} />
      {Array.from({ length: L * H }, (_, i) => {
        const layer = Math.floor(i / H);
        const head = i % H;
        const h = { layer, head };
        const v = values?.[i];
        const gate = gateOf(gates, layer, head);
        const { x, y } = cellOrigin(layer, head);
        const fill = v !== undefined && scale ? scale.color(v) : 'var(--panel)';
        const ink = v !== undefined && scale ? scale.ink(v) : 'var(--text)';
        const isFocus = focus.layer === layer && focus.head === head;
        return (
          // biome-ignore lint/a11y/useSemanticElements: an SVG cell cannot be a <button>; it is one by role.
          <g
            key={`${layer}.${head}`}
            ref={(el) => {
              if (el) cells.current.set(`${layer}.${head}`, el);
              else cells.current.delete(`${layer}.${head}`);
            }}
            className={`head-cell${gate ? ' gated' : ''}`}
            role="button"
            tabIndex={isFocus ? 0 : -1}
            aria-pressed={gate !== undefined}
            aria-label={`Layer ${layer} head ${head}: ${gateWords(gate)}; ${props.measureLabel} ${v === undefined ? 'not scored' : shortNumber(v)}`}
            data-testid="head-cell"
            data-layer={layer}
            data-head={head}
            data-gate={gate ? gate.mode : 'none'}
            data-value={v === undefined ? '' : String(v)}
            onClick={(e) => onClick(e, h)}
            onKeyDown={(e) => onKey(e, h)}
            onMouseEnter={() => props.onHover(h)}
            onMouseLeave={() => props.onHover(undefined)}
            onFocus={() => {
              setFocus(h);
              props.onHover(h);
            }}
          >
            <rect className="cell-bg" x={x} y={y} width={CELL} height={CELL} rx={4} style={{ fill }} />
            {gate && (
              <rect className="gate-outline" x={x + 2} y={y + 2} width={CELL - 4} height={CELL - 4} rx={3} />
            )}
            <text
              className="cell-value"
              x={x + CELL / 2}
              y={y + CELL / 2 + (gate ? 6 : 0)}
              textAnchor="middle"
              dominantBaseline="central"
              style={{ fill: ink }}
            >
              {v === undefined ? '' : shortNumber(v)}
            </text>
            {gate && (
              <text className="gate-mark" x={x + 5} y={y + 12} style={{ fill: ink }}>
                {gateMark(gate)}
              </text>
            )}
          </g>
        );
      })}
      {scale && (
        <GridLegend
          scale={scale}
          label={props.measureLabel}
          gradientId={`head-legend-${scale.kind}`}
          testId="head-legend"
          x={LEFT}
          y={gridHeight + 10}
          width={Math.max(140, H * (CELL + GAP) - GAP)}
        />
      )}
    </svg>
  );
}
