/**
 * Attribution patching beside exact patching (METHODS.md §9): the same heads × layers grid from
 * one forward and one backward pass, gradient × (clean − corrupt), with its Pearson correlation
 * to the exact effects over the heads, so a person sees how far the cheap estimate can be trusted
 * on this prompt. Clicking a head gates it as on the exact grid.
 */
import { useRef } from 'react';
import type { HeadGateSpec } from '../../../worker';
import { ExportButtons } from '../../charts/ExportButtons';
import { colorScale } from './color';
import type { GateMode } from './gates';
import { HeadGrid, type HeadRef } from './HeadGrid';

export function AttributionGrid(props: {
  readonly nLayers: number;
  readonly nHeads: number;
  readonly exact: readonly number[];
  readonly attribution: readonly number[];
  readonly correlation: number;
  readonly gates: readonly HeadGateSpec[];
  readonly onGate: (h: HeadRef, mode: GateMode | undefined) => void;
  readonly onHover: (h: HeadRef | undefined) => void;
}) {
  const { nLayers, nHeads, exact, attribution, correlation } = props;
  const ref = useRef<SVGSVGElement>(null);
  return (
    <div className="heads-grid-wrap" data-testid="attribution-grid">
      <h3>Attribution patching (gradient estimate)</h3>
      <p className="muted" data-testid="patching-correlation" data-value={correlation}>
        Correlation with exact patching over the {nLayers * nHeads} heads: r ={' '}
        {Number.isFinite(correlation) ? correlation.toFixed(3) : '– (a grid is constant)'}
      </p>
      <HeadGrid
        nLayers={nLayers}
        nHeads={nHeads}
        values={attribution}
        scale={colorScale(attribution, 'diverging')}
        measureLabel="attribution estimate (refusal log-odds)"
        gates={props.gates}
        onGate={props.onGate}
        onHover={props.onHover}
        svgRef={ref}
      />
      <ExportButtons
        name="heads-attribution"
        chart={ref}
        table={() => ({
          header: ['layer', 'head', 'exact', 'attribution'],
          rows: exact.map((v, i) => [Math.floor(i / nHeads), i % nHeads, v, attribution[i]!]),
        })}
      />
    </div>
  );
}
