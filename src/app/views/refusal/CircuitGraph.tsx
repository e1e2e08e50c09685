/**
 * The refusal circuit (METHODS.md §9) as a graph: every head a dot at (layer, head), the gates and
 * amplifiers highlighted, the heads the cascade reaches outlined, and the logits node at the right.
 * Cascade edges go from each gate to the heads whose DLA delta moves when it is knocked out, their
 * width the size of the change (solid: the delta falls, dashed: it rises); direct edges go to the
 * logits. A head is a button: clicking it gates it (zero) in the experiment, again restores it.
 */
import type { Ref } from 'react';
import type { HeadGateSpec, RefusalCircuitResult } from '../../../worker';
import { fmt } from '../../charts/scale';
import '../../charts/charts.css';

const COL = 64;
const ROW = 34;
const M = { top: 30, left: 56, right: 90, bottom: 34 };

export function CircuitGraph(props: {
  readonly data: RefusalCircuitResult;
  readonly gates: readonly HeadGateSpec[];
  readonly onToggle: (layer: number, head: number) => void;
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { data, gates } = props;
  const { circuit, nLayers: L, nHeads: H } = data;
  const width = M.left + L * COL + M.right;
  const height = M.top + H * ROW + M.bottom;
  const at = (layer: number, head: number | undefined) =>
    head === undefined
      ? { x: M.left + L * COL + 34, y: M.top + ((H - 1) * ROW) / 2 }
      : { x: M.left + layer * COL + COL / 2, y: M.top + head * ROW + ROW / 2 };
  const nodeOf = new Map(circuit.nodes.map((n) => [n.id, n]));
  const pos = (id: string) => {
    const n = nodeOf.get(id);
    if (n) return at(n.layer, n.head);
    const h = circuit.heads.find((x) => x.id === id);
    return h ? at(h.layer, h.head) : at(L, undefined);
  };
  const maxW = Math.max(1e-9, ...circuit.edges.map((e) => Math.abs(e.weight)));
  const gated = (layer: number, head: number) => gates.some((g) => g.layer === layer && g.head === head);
  return (
    <svg
      ref={props.svgRef}
      className="refusal-chart circuit-graph"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      aria-labelledby="refusal-circuit-title"
      data-testid="circuit-graph"
    >
      <title id="refusal-circuit-title">
        Refusal circuit: gates {circuit.gates.join(', ') || 'none'}; amplifiers{' '}
        {circuit.amplifiers.join(', ') || 'none'}
      </title>
      <defs>
        <marker
          id="refusal-arrow"
          viewBox="0 0 8 8"
          refX={7}
          refY={4}
          markerWidth={6}
          markerHeight={6}
          orient="auto"
        >
          <path d="M0,0 L8,4 L0,8 z" className="arrow-head" />
        </marker>
      </defs>
      {Array.from({ length: L }, (_, l) => (
        <text key={l} className="tick" x={at(l, 0).x} y={M.top - 12} textAnchor="middle">
          L{l}
        </text>
      ))}
      {Array.from({ length: H }, (_, h) => (
        <text key={h} className="tick" x={M.left - 10} y={at(0, h).y + 3} textAnchor="end">
          H{h}
        </text>
      ))}
      <g className="edges">
        {circuit.edges.map((e) => {
          const a = pos(e.source);
          const b = pos(e.target);
          return (
            <line
              key={`${e.source}>${e.target}`}
              className={`edge edge-${e.kind} ${e.weight < 0 ? 'edge-neg' : 'edge-pos'}`}
              x1={a.x}
              y1={a.y}
              x2={b.x}
              y2={b.y}
              strokeWidth={0.8 + (4 * Math.abs(e.weight)) / maxW}
              markerEnd="url(#refusal-arrow)"
            >
              <title>
                {e.source} → {e.target}:{' '}
                {e.kind === 'cascade' ? 'DLA delta change when knocked out' : 'direct effect'} {fmt(e.weight)}
              </title>
            </line>
          );
        })}
      </g>
      {circuit.heads.map((h) => {
        const p = at(h.layer, h.head);
        const node = nodeOf.get(h.id);
        const role = node?.role ?? 'plain';
        const isGated = gated(h.layer, h.head);
        const label = `Head ${h.id}${node ? `, ${role}` : ''}: causal ${fmt(h.causal)}, direct ${fmt(h.direct)}. ${isGated ? 'Gated; click to restore' : 'Click to gate (zero)'}.`;
        const toggle = () => props.onToggle(h.layer, h.head);
        return (
          // biome-ignore lint/a11y/useSemanticElements: an SVG node cannot be a <button>
          <g
            key={h.id}
            role="button"
            tabIndex={0}
            aria-pressed={isGated}
            aria-label={label}
            className={`head-node role-${role.replace('+', '-')}${isGated ? ' gated' : ''}`}
            data-head={h.id}
            data-role={role}
            onClick={toggle}
            onKeyDown={(e) => {
              if (e.key === 'Enter' || e.key === ' ') {
                e.preventDefault();
                toggle();
              }
            }}
          >
            <title>{label}</title>
            <circle cx={p.x} cy={p.y} r={node ? 11 : 6} />
            {isGated && (
              <text x={p.x} y={p.y + 4} textAnchor="middle" className="gate-mark">
                ×0
              </text>
            )}
            {node && !isGated && (
              <text x={p.x} y={p.y + 24} textAnchor="middle" className="node-label">
                {h.id}
              </text>
            )}
          </g>
        );
      })}
      <g className="logits-node" data-testid="circuit-logits">
        <rect x={at(L, undefined).x - 26} y={at(L, undefined).y - 14} width={52} height={28} rx={6} />
        <text x={at(L, undefined).x} y={at(L, undefined).y + 4} textAnchor="middle">
          logits
        </text>
      </g>
      <g transform={`translate(${M.left},${height - 12})`} className="legend">
        {(
          [
            ['role-gate', 'gate'],
            ['role-amplifier', 'amplifier'],
            ['role-gate-amplifier', 'gate + amplifier'],
            ['role-downstream', 'downstream'],
          ] as const
        ).map(([cls, text], i) => (
          <g key={cls} transform={`translate(${i * 110},0)`} className={`head-node ${cls}`}>
            <circle cx={5} cy={-4} r={5} />
            <text x={14} y={0}>
              {text}
            </text>
          </g>
        ))}
      </g>
    </svg>
  );
}
