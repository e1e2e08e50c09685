/**
 * Held-out accuracy of a task three ways: the few-shot prompts (the reference), the bare zero-shot
 * queries, and the same queries with the function vector added. One bar each, value in a data
 * attribute for tests and a title for people.
 */
import type { Ref } from 'react';
import { Bars, ChartSvg, ValueGrid } from '../../charts/parts';
import { linear } from '../../charts/scale';

const W = 420;
const H = 190;
const M = { top: 14, right: 12, bottom: 40, left: 44 };

export function AccuracyBars(props: {
  readonly bars: readonly { readonly label: string; readonly value: number; readonly id: string }[];
  readonly svgRef: Ref<SVGSVGElement>;
}) {
  const { bars } = props;
  const y = linear([0, 1], [H - M.bottom, M.top]);
  const band = (W - M.left - M.right) / bars.length;
  const percent = (v: number) => `${Math.round(100 * v)}%`;
  return (
    <ChartSvg
      svgRef={props.svgRef}
      className="layer-bars fv-accuracy"
      width={W}
      height={H}
      label={bars.map((b) => `${b.label} ${percent(b.value)}`).join(', ')}
      testid="fv-accuracy"
    >
      <ValueGrid y={y} lo={0} hi={1} left={M.left} right={W - M.right} />
      <Bars
        values={bars.map((b) => b.value)}
        y={y}
        left={M.left}
        band={band}
        inset={0.2}
        bar={(i) => ({
          className: bars[i]!.id === 'zero-shot-fv' ? 'bar marked' : 'bar',
          'data-testid': `accuracy-${bars[i]!.id}`,
          'data-value': bars[i]!.value,
          title: `${bars[i]!.label}: ${percent(bars[i]!.value)}`,
        })}
        extra={(i, centre) => (
          <>
            <text className="tick" x={centre} y={y(bars[i]!.value) - 4} textAnchor="middle">
              {percent(bars[i]!.value)}
            </text>
            <text className="tick" x={centre} y={H - M.bottom + 14} textAnchor="middle">
              {bars[i]!.label}
            </text>
          </>
        )}
      />
      <text className="tick" x={M.left} y={H - 6}>
        accuracy on the held-out items
      </text>
    </ChartSvg>
  );
}
