/**
 * The pure parts of the refusal workflow (METHODS.md §5), kept apart from the model so that they
 * can be tested on numbers: the build / validation / test split, Arditi's data filter, and the
 * candidate filters with the choice they lead to. Also what the page is offered when every
 * candidate is dropped: the best of the dropped ones, named as such, never passed off as chosen.
 */
import type { RefusalCandidateScore, RefusalDrop } from './api';

/** Three disjoint thirds of a list (every third item), as interp's steering eval splits them. */
export function thirds<T>(xs: readonly T[]): [T[], T[], T[]] {
  return [0, 1, 2].map((k) => xs.filter((_, i) => i % 3 === k)) as [T[], T[], T[]];
}

/**
 * Arditi et al.'s data filter (andyrdt/refusal_direction `filter_data`): keep the harmful prompts
 * the model refuses (refusal score > 0) and the harmless ones it answers (score < 0).
 */
export function keepByScore<T>(items: readonly T[], scores: ArrayLike<number>, refused: boolean): T[] {
  return items.filter((_, i) => (refused ? scores[i]! > 0 : scores[i]! < 0));
}

export interface Filters {
  /** KL(base ‖ ablated) above this drops a candidate (§5: 0.1). */
  readonly maxKl: number;
  /** Candidates at layer ≥ this are dropped (§5: 0.8·L). */
  readonly lateFrom: number;
}

/** Every filter a scored candidate fails, in §5's order; empty when it passes. */
export function dropReasons(
  s: Pick<RefusalCandidateScore, 'layer' | 'induce' | 'kl'>,
  f: Filters,
): RefusalDrop[] {
  const out: RefusalDrop[] = [];
  if (!(s.kl <= f.maxKl)) out.push('kl');
  if (!(s.induce >= 0)) out.push('induce');
  if (s.layer >= f.lateFrom) out.push('late-layer');
  return out;
}

export interface Choice {
  /** The kept candidate with the lowest bypass score (§5's choice); undefined when none was kept. */
  readonly chosen: RefusalCandidateScore | undefined;
  /**
   * Only when nothing was kept: the dropped candidate that fails the fewest filters, lowest bypass
   * among those. Offered to the person with the reasons it was dropped.
   */
  readonly fallback: RefusalCandidateScore | undefined;
}

export function choose(scores: readonly RefusalCandidateScore[]): Choice {
  const byBypass = (a: RefusalCandidateScore, b: RefusalCandidateScore) => a.bypass - b.bypass;
  const finite = scores.filter((s) => Number.isFinite(s.bypass));
  const kept = finite.filter((s) => s.dropped.length === 0).sort(byBypass);
  if (kept[0]) return { chosen: kept[0], fallback: undefined };
  const dropped = [...finite].sort((a, b) => a.dropped.length - b.dropped.length || byBypass(a, b));
  return { chosen: undefined, fallback: dropped[0] };
}
