/**
 * One head's attention pattern over the prompt: queries down, keys across, darker = more
 * attention. Token labels are text (long prompts label every n-th token so they stay legible);
 * the last query row, the one the next token is predicted from, is outlined.
 */
import type { Ref } from 'react';
import type { AttentionPattern } from '../../../worker';

const SIZE = 220;
const LABEL = 64;

/** Spaces and newlines made visible, as the lens shows tokens. */
export function tokenLabel(t: string): string {
  return t.replace(/\n/g, '↵').replace(/^ /, '·');
}

export function PatternHeatmap(props: {
  readonly pattern: AttentionPattern;
  readonly svgRef?: Ref<SVGSVGElement>;
}) {
  const { pattern } = props;
  const T = pattern.tokens.length;
  const cell = Math.max(2, Math.min(18, Math.floor(SIZE / Math.max(1, T))));
  const every = Math.max(1, Math.ceil(10 / cell));
  const side = cell * T;
  const width = LABEL + side + 4;
  const height = LABEL + side + 4;
  const label = (i: number) => (i % every === 0 || i === T - 1 ? tokenLabel(pattern.tokens[i] ?? '') : '');
  return (
    <svg
      ref={props.svgRef}
      className="pattern-heatmap"
      data-testid="attention-pattern"
      data-layer={pattern.layer}
      data-head={pattern.head}
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={`Attention pattern of layer ${pattern.layer} head ${pattern.head} over ${T} tokens`}
    >
      {pattern.tokens.map((_, i) => (
        <text
          key={`q${i}`}
          className="token-label"
          x={LABEL - 4}
          y={LABEL + i * cell + cell / 2}
          textAnchor="end"
          dominantBaseline="central"
        >
          {label(i)}
        </text>
      ))}
      {pattern.tokens.map((_, i) => (
        <text
          key={`k${i}`}
          className="token-label"
          transform={`translate(${LABEL + i * cell + cell / 2},${LABEL - 4}) rotate(-60)`}
        >
          {label(i)}
        </text>
      ))}
      {pattern.weights.map((row, q) =>
        row.map((w, k) =>
          k > q ? null : (
            <rect
              key={`${q}.${k}`}
              x={LABEL + k * cell}
              y={LABEL + q * cell}
              width={cell}
              height={cell}
              style={{ fill: `rgba(36, 86, 201, ${Math.max(0.03, w).toFixed(3)})` }}
            >
              <title>{`${tokenLabel(pattern.tokens[q] ?? '')} → ${tokenLabel(pattern.tokens[k] ?? '')}: ${w.toFixed(3)}`}</title>
            </rect>
          ),
        ),
      )}
      <rect
        className="last-row"
        x={LABEL}
        y={LABEL + (T - 1) * cell}
        width={side}
        height={cell}
        fill="none"
      />
    </svg>
  );
}
