/**
 * From paired activations (row i of `pos` and of `neg` come from one contrast pair) to one
 * direction, by each method of METHODS.md §2-§4. Pure functions of host arrays.
 */
import {
  centerColumns,
  diffRows,
  dot,
  firstSingularVector,
  logisticRegression,
  meanRows,
  type Rows,
  sub,
  unit,
} from '../linalg';
import type { VectorMethod } from '../recipe';

export function aggregate(method: VectorMethod, pos: Rows, neg: Rows): Float32Array {
  if (pos.length === 0 || pos.length !== neg.length)
    throw new RangeError(
      `Need the same positive count as negative, and at least one (${pos.length} vs ${neg.length}).`,
    );
  switch (method) {
    case 'mean':
      return meanDifference(pos, neg);
    case 'pca_diff':
      return repengSign(firstSingularVector(centerColumns(diffRows(pos, neg))), pos, neg);
    case 'pca_center':
      return repengSign(firstSingularVector(centerColumns(pairCentred(pos, neg))), pos, neg);
    case 'pca':
      return pcaOfDifferences(pos, neg);
    case 'logistic':
      return logisticDirection(pos, neg);
  }
}

/** CAA: mean over pairs of (a+ − a−), at its raw norm. */
export function meanDifference(pos: Rows, neg: Rows): Float32Array {
  return meanRows(diffRows(pos, neg));
}

/** Each pair centred on its midpoint: the 2N rows h+ − m, h− − m (repeng's pca_center). */
function pairCentred(pos: Rows, neg: Rows): Float32Array[] {
  const rows: Float32Array[] = [];
  pos.forEach((p, i) => {
    const mid = meanRows([p, neg[i]!]);
    rows.push(sub(p, mid), sub(neg[i]!, mid));
  });
  return rows;
}

/**
 * repeng's sign rule: flip the direction when more pairs project lower on the positive side than
 * higher (a tie keeps it).
 */
function repengSign(dir: Float32Array, pos: Rows, neg: Rows): Float32Array {
  let higher = 0;
  let lower = 0;
  pos.forEach((p, i) => {
    const d = dot(p, dir) - dot(neg[i]!, dir);
    if (d > 0) higher++;
    else if (d < 0) lower++;
  });
  return lower > higher ? dir.map((x) => -x) : dir;
}

/**
 * steering-vectors' `pca` aggregator: uncentred SVD of [Δ; −Δ] (whose right singular vectors
 * are those of Δ alone), unit norm, signed to agree with the mean difference.
 */
function pcaOfDifferences(pos: Rows, neg: Rows): Float32Array {
  const deltas = diffRows(pos, neg);
  const v = firstSingularVector(deltas);
  return dot(meanRows(deltas), v) < 0 ? v.map((x) => -x) : v;
}

/**
 * steering-vectors' `logistic` aggregator: centre each pair, fit logistic regression without
 * intercept on labels +1 (positive) / −1 (negative), return the unit coefficients.
 */
function logisticDirection(pos: Rows, neg: Rows): Float32Array {
  const xs = pairCentred(pos, neg);
  const ys = xs.map((_, i) => (i % 2 === 0 ? 1 : -1));
  return unit(logisticRegression(xs, ys));
}
