/** What the methods view draws from the worker's layer profiles: pure functions, so tests and CSV agree. */
import type { LayerProfiles } from '../../../worker';

/** Per layer: the mean of a[l,t] over the prompt's tokens, and how many tokens are idle (a < τ). */
export function activityByLayer(p: LayerProfiles, tau: number): { mean: number[]; idleTokens: number[] } {
  const T = p.tokens.length;
  const mean: number[] = [];
  const idleTokens: number[] = [];
  for (let l = 0; l < p.layers; l++) {
    const row = p.activity.subarray(l * T, (l + 1) * T);
    mean.push(row.reduce((s, a) => s + a, 0) / Math.max(1, T));
    idleTokens.push(row.reduce((n, a) => n + (a < tau ? 1 : 0), 0));
  }
  return { mean, idleTokens };
}

/** Per layer: the share of MLP activations with |x| ≤ ε (ε one of the measured thresholds). */
export function sparsityAt(p: LayerProfiles, epsilon: number): number[] {
  const e = p.epsilons.indexOf(epsilon);
  if (e < 0) return [];
  const E = p.epsilons.length;
  return Array.from({ length: p.layers }, (_, l) => p.sparsity[l * E + e]!);
}

export function activityTable(p: LayerProfiles, tau: number) {
  const { mean, idleTokens } = activityByLayer(p, tau);
  const T = p.tokens.length;
  return {
    header: ['layer', 'mean_change', `idle_tokens_below_${tau}`, ...p.tokens.map((t, i) => `t${i}:${t}`)],
    rows: mean.map((m, l) => [l, m, idleTokens[l]!, ...p.activity.subarray(l * T, (l + 1) * T)]),
  };
}

export function sparsityTable(p: LayerProfiles) {
  const E = p.epsilons.length;
  return {
    header: ['layer', ...p.epsilons.map((e) => `share_abs_le_${e}`)],
    rows: Array.from({ length: p.layers }, (_, l) => [l, ...p.sparsity.subarray(l * E, (l + 1) * E)]),
  };
}
