/**
 * The lens heatmap: layers (the model's own output on top) × prompt positions; each cell shows
 * the top token and is coloured by the chosen measure. Drawn as plain SVG so that the export
 * buttons can save it; token texts are SVG text nodes (never markup).
 */
import { type KeyboardEvent, type Ref, useState } from 'react';
import type { LensOutcome } from '../../../worker';
import {
  cellColour,
  cellValue,
  type LensMeasure,
  type LensMode,
  MEASURE_LABELS,
  scaleMax,
  shownGrid,
  tokenLabel,
  topChanged,
} from './grid';

export const CELL_W = 62;
export const CELL_H = 24;
const LEFT = 58;
const TOP = 34;
const BOTTOM = 30;
const MAX_CHARS = 8;

export interface CellRef {
  readonly row: number;
  readonly pos: number;
  /** Where the cell is in the window (for a tooltip that no scroll box clips). */
  readonly box?: {
    readonly left: number;
    readonly top: number;
    readonly bottom: number;
    readonly width: number;
  };
}

function boxOf(el: Element): CellRef['box'] {
  const r = el.getBoundingClientRect();
  return { left: r.left, top: r.top, bottom: r.bottom, width: r.width };
}

function short(text: string): string {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text;
}

export function Heatmap(props: {
  readonly outcome: LensOutcome;
  readonly mode: LensMode;
  readonly measure: LensMeasure;
  readonly svgRef: Ref<SVGSVGElement>;
  readonly onHover: (cell: CellRef | undefined) => void;
  readonly onPick: (cell: CellRef) => void;
}) {
  const { outcome: o, mode, measure, onHover, onPick } = props;
  const n = o.tokens.length;
  const rows = o.rows.length;
  const g = shownGrid(o, mode);
  const max = scaleMax(o, mode, measure);
  // Wide enough for the legend even on a short prompt.
  const width = Math.max(LEFT + n * CELL_W + 8, LEFT + 330 + 3 * 70 + 24);
  const height = TOP + rows * CELL_H + BOTTOM;
  const y = (row: number) => TOP + (rows - 1 - row) * CELL_H;
  const legend =
    mode === 'difference' ? `Δ ${MEASURE_LABELS[measure]} (steered − baseline)` : MEASURE_LABELS[measure];
  const stops = mode === 'difference' ? [-max, 0, max] : [0, max / 2, max];
  // One tab stop for the whole grid (the last layer's last cell first); arrow keys move from it.
  const [focus, setFocus] = useState<{ row: number; pos: number }>();
  const at = focus && focus.row < rows && focus.pos < n ? focus : { row: rows - 1, pos: n - 1 };
  const move = (e: KeyboardEvent<SVGGElement>, row: number, pos: number) => {
    const to =
      e.key === 'ArrowUp'
        ? { row: Math.min(rows - 1, row + 1), pos }
        : e.key === 'ArrowDown'
          ? { row: Math.max(0, row - 1), pos }
          : e.key === 'ArrowLeft'
            ? { row, pos: Math.max(0, pos - 1) }
            : e.key === 'ArrowRight'
              ? { row, pos: Math.min(n - 1, pos + 1) }
              : undefined;
    if (!to) return;
    e.preventDefault();
    setFocus(to);
    const svg = e.currentTarget.ownerSVGElement;
    svg?.querySelector<SVGGElement>(`[data-row="${to.row}"][data-pos="${to.pos}"]`)?.focus();
  };
  return (
    <svg
      ref={props.svgRef}
      className="lens-heatmap"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`Lens heatmap: ${rows} layers by ${n} positions, coloured by ${legend}`}
      data-testid="lens-heatmap"
      data-mode={mode}
      data-measure={measure}
      onMouseLeave={() => onHover(undefined)}
    >
      <text className="lens-legend-title" x={LEFT} y={12}>
        {legend}
      </text>
      {stops.map((v, i) => {
        const c = cellColour(v, max, mode);
        return (
          <g key={v}>
            <rect
              x={LEFT + 330 + i * 70}
              y={3}
              width={14}
              height={12}
              fill={c.fill}
              className="lens-swatch"
            />
            <text className="lens-axis" x={LEFT + 348 + i * 70} y={13}>
              {formatValue(v)}
            </text>
          </g>
        );
      })}
      {o.rows.map((r, row) => (
        <text key={r.label} className="lens-axis" x={LEFT - 6} y={y(row) + CELL_H / 2 + 4} textAnchor="end">
          {r.label}
        </text>
      ))}
      {o.tokens.map((id, pos) => (
        <text
          key={pos}
          className="lens-axis lens-input"
          x={LEFT + pos * CELL_W + CELL_W / 2}
          y={TOP + rows * CELL_H + 16}
          textAnchor="middle"
        >
          {short(tokenLabel(o.texts[id]))}
        </text>
      ))}
      {o.rows.map((r, row) =>
        o.tokens.map((_, pos) => {
          const cell = row * n + pos;
          const id = g.topIds[cell * o.k]!;
          const value = cellValue(o, mode, measure, cell);
          const c = cellColour(value, max, mode);
          const changed = mode !== 'baseline' && topChanged(o, cell);
          return (
            // biome-ignore lint/a11y/useSemanticElements: an SVG cell cannot be a <button>
            <g
              key={`${r.label}-${pos}`}
              className={changed ? 'lens-cell changed' : 'lens-cell'}
              data-testid="lens-cell"
              data-row={row}
              data-pos={pos}
              data-token-id={id}
              data-token-text={o.texts[id] ?? ''}
              data-value={value}
              role="button"
              tabIndex={row === at.row && pos === at.pos ? 0 : -1}
              aria-label={`${r.label}, position ${pos}: ${tokenLabel(o.texts[id])}`}
              onMouseEnter={(e) => onHover({ row, pos, box: boxOf(e.currentTarget) })}
              onFocus={(e) => {
                setFocus({ row, pos });
                onHover({ row, pos, box: boxOf(e.currentTarget) });
              }}
              onBlur={() => onHover(undefined)}
              onClick={() => onPick({ row, pos })}
              onKeyDown={(e) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  onPick({ row, pos });
                } else move(e, row, pos);
              }}
            >
              <rect x={LEFT + pos * CELL_W} y={y(row)} width={CELL_W - 1} height={CELL_H - 1} fill={c.fill} />
              <text
                className={c.light ? 'lens-token light' : 'lens-token'}
                x={LEFT + pos * CELL_W + CELL_W / 2}
                y={y(row) + CELL_H / 2 + 4}
                textAnchor="middle"
              >
                {short(tokenLabel(o.texts[id]))}
              </text>
            </g>
          );
        }),
      )}
    </svg>
  );
}

export function formatValue(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(2) : v.toExponential(1);
}
