/**
 * The steered side's heading in words: what it applied, not just the slider's value (which says
 * nothing when head gates or the refusal view's intervention do the steering).
 */
import {
  type Experiment,
  STEERING_PLANE,
  STEERING_UNITS,
  STEERING_VECTOR,
  type Steering,
  steeringStrength,
} from '../../experiment';
import type { Intervention } from '../../worker';

const fixed = (v: number) => v.toFixed(2);

/** e.g. "add 4.00 · 2 heads gated · refusal ablated"; "nothing applied" when the list is empty. */
export function describeSteered(
  exp: Pick<Experiment, 'steering' | 'vectors'>,
  applied: readonly Intervention[],
): string {
  const parts: string[] = [];
  const heads = applied.reduce((n, iv) => n + (iv.kind === 'gate' ? iv.heads.length : 0), 0);
  for (const iv of applied) {
    if (iv.kind === 'gate') continue;
    if (isLoops(iv)) parts.push(loopWords(exp.steering));
    else parts.push(otherWords(exp, iv));
  }
  if (heads > 0) parts.push(`${heads} head${heads === 1 ? '' : 's'} gated`);
  return parts.length > 0 ? parts.join(' · ') : 'nothing applied';
}

function isLoops(iv: Intervention): boolean {
  if ('vector' in iv) return iv.vector === STEERING_VECTOR;
  if (iv.kind === 'rotate') return iv.plane === STEERING_PLANE;
  return iv.kind === 'units' && iv.units === STEERING_UNITS;
}

function loopWords(s: Steering): string {
  const v = steeringStrength(s);
  return s.operator === 'rotate' ? `rotate ${fixed(v)}°` : `${s.operator} ${fixed(v)}`;
}

function otherWords(exp: Pick<Experiment, 'vectors'>, iv: Exclude<Intervention, { kind: 'gate' }>): string {
  if (iv.kind === 'sparsify') return 'MLP activations sparsified';
  const name = 'vector' in iv ? iv.vector : iv.kind === 'rotate' ? iv.plane : iv.units;
  const refusal = name === 'refusal' || exp.vectors[name]?.from === 'refusal';
  const what = refusal ? 'refusal' : `“${name}”`;
  switch (iv.kind) {
    case 'add':
      return `${what} added ×${fixed(iv.coefficient)}`;
    case 'ablate':
      return `${what} ablated`;
    case 'rotate':
      return `${what} rotated ${fixed(iv.angle)}°`;
    case 'units':
      return iv.alpha === undefined ? `${what} units` : `${what} units ×${fixed(iv.alpha)}`;
    case 'layer-weighted':
      return `${what} added ×${fixed(iv.strength)} by layer`;
    case 'guard':
      return `${what} guarded`;
  }
}
