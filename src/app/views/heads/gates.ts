/**
 * Head gates as part of the Experiment: one `gate` intervention in `experiment.interventions`
 * holds every gated head, so gates travel in the link and apply to the steered row (and to the
 * lens, which runs the steered row's interventions). These helpers read and rewrite that one
 * intervention; an experiment with no gated head has none.
 */
import type { Experiment } from '../../../experiment';
import type { GateIntervention, HeadGateSpec, Intervention } from '../../../worker';

export type GateMode = HeadGateSpec['mode'];

export function gatesOf(exp: Pick<Experiment, 'interventions'>): HeadGateSpec[] {
  return exp.interventions.flatMap((iv) => (iv.kind === 'gate' ? iv.heads : []));
}

/** The gate on one head, if any (a later gate on the same head wins, as in compile). */
export function gateOf(
  gates: readonly HeadGateSpec[],
  layer: number,
  head: number,
): HeadGateSpec | undefined {
  for (let i = gates.length - 1; i >= 0; i--) {
    const g = gates[i]!;
    if (g.layer === layer && g.head === head) return g;
  }
  return undefined;
}

/** The experiment with every gate replaced by `gates` (in layer, head order), or none. */
export function withGates(exp: Experiment, gates: readonly HeadGateSpec[]): Experiment {
  const sorted = [...gates].sort((a, b) => a.layer - b.layer || a.head - b.head);
  const at = exp.interventions.findIndex((iv) => iv.kind === 'gate');
  const rest: Intervention[] = exp.interventions.filter((iv) => iv.kind !== 'gate');
  if (sorted.length === 0) return at < 0 ? exp : { ...exp, interventions: rest };
  const gate: GateIntervention = { kind: 'gate', heads: sorted };
  // Keep the gate where it was in the list: interventions compose in order.
  rest.splice(at < 0 ? rest.length : at, 0, gate);
  return { ...exp, interventions: rest };
}

/**
 * Click semantics: a head gated in `mode` (with the same factor) is restored; otherwise it gets
 * that gate, replacing any other gate it had.
 */
export function toggleGate(
  exp: Experiment,
  layer: number,
  head: number,
  mode: GateMode,
  factor = 0.5,
): Experiment {
  const gates = gatesOf(exp);
  const had = gateOf(gates, layer, head);
  const others = gates.filter((g) => !(g.layer === layer && g.head === head));
  const same = had?.mode === mode && (mode !== 'scale' || (had.mode === 'scale' && had.factor === factor));
  if (same) return withGates(exp, others);
  const next: HeadGateSpec = mode === 'scale' ? { layer, head, mode, factor } : { layer, head, mode };
  return withGates(exp, [...others, next]);
}

/** A gate as a short mark for the cell: "×0" zeroed, "μ" mean, "×0.5" scaled. */
export function gateMark(g: HeadGateSpec | undefined): string {
  if (!g) return '';
  if (g.mode === 'zero') return '×0';
  if (g.mode === 'mean') return 'μ';
  return `×${+g.factor.toFixed(2)}`;
}

export function gateWords(g: HeadGateSpec | undefined): string {
  if (!g) return 'not gated';
  if (g.mode === 'zero') return 'zeroed';
  if (g.mode === 'mean') return 'mean-ablated';
  return `scaled by ${+g.factor.toFixed(3)}`;
}
