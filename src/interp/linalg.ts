/**
 * Host-side linear algebra on small matrices (rows of Float32Array): what vector building needs
 * after the activations are read back. Sums run in float64 so that a mean over hundreds of rows
 * does not drift; results are float32 again.
 */

export type Rows = readonly Float32Array[];

/** A standard normal sample from a uniform generator in [0, 1) (Box-Muller). */
export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

export function norm(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

/** a / ‖a‖; a zero vector stays zero (a direction of nothing steers nothing). */
export function unit(a: ArrayLike<number>): Float32Array {
  const n = norm(a);
  const out = new Float32Array(a.length);
  if (n > 0) for (let i = 0; i < a.length; i++) out[i] = a[i]! / n;
  return out;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const d = norm(a) * norm(b);
  return d > 0 ? dot(a, b) / d : 0;
}

export function sub(a: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! - b[i]!;
  return out;
}

/** The mean of a list of numbers (0 for an empty one). */
export function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s / Math.max(1, xs.length);
}

export function meanRows(rows: Rows): Float32Array {
  const width = rows[0]?.length ?? 0;
  const acc = new Float64Array(width);
  for (const r of rows) for (let j = 0; j < width; j++) acc[j]! += r[j]!;
  return Float32Array.from(acc, (x) => x / Math.max(rows.length, 1));
}

/** Row i of `a` minus row i of `b`. */
export function diffRows(a: Rows, b: Rows): Float32Array[] {
  if (a.length !== b.length) throw new RangeError(`diffRows: ${a.length} rows vs ${b.length}`);
  return a.map((r, i) => sub(r, b[i]!));
}

/** Each row minus the column means (what PCA does before its SVD). */
export function centerColumns(rows: Rows): Float32Array[] {
  const mean = meanRows(rows);
  return rows.map((r) => sub(r, mean));
}

/**
 * First right singular vector of X (rows × width), unit norm: the top eigenvector of XᵀX, by
 * power iteration. Deterministic: it starts from the row of largest norm, and its sign is fixed
 * so that the largest-magnitude entry is positive (callers then apply their own sign rule).
 */
export function firstSingularVector(rows: Rows, opts: { maxIter?: number; tol?: number } = {}): Float32Array {
  const width = rows[0]?.length ?? 0;
  if (rows.length === 0 || width === 0) return new Float32Array(width);
  let start = rows[0]!;
  for (const r of rows) if (norm(r) > norm(start)) start = r;
  let v = Float64Array.from(start);
  let n = norm(v);
  if (n === 0) return new Float32Array(width);
  for (let i = 0; i < width; i++) v[i]! /= n;
  const maxIter = opts.maxIter ?? 1000;
  const tol = opts.tol ?? 1e-12;
  for (let it = 0; it < maxIter; it++) {
    const next = new Float64Array(width);
    for (const r of rows) {
      const p = dot(r, v);
      for (let j = 0; j < width; j++) next[j]! += p * r[j]!;
    }
    n = norm(next);
    if (n === 0) break;
    let change = 0;
    for (let j = 0; j < width; j++) {
      next[j]! /= n;
      change += (next[j]! - v[j]!) ** 2;
    }
    v = next;
    if (change < tol) break;
  }
  let big = 0;
  for (let j = 0; j < width; j++) if (Math.abs(v[j]!) > Math.abs(v[big]!)) big = j;
  const sign = v[big]! < 0 ? -1 : 1;
  return Float32Array.from(v, (x) => sign * x);
}

/** b minus its component along unit vector a, normalised (Gram-Schmidt step). */
export function orthonormalAgainst(b: ArrayLike<number>, a: ArrayLike<number>): Float32Array {
  const p = dot(b, a);
  const out = new Float32Array(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[i]! - p * a[i]!;
  return unit(out);
}

/**
 * L2-regularised logistic regression without intercept (sklearn's default objective with C = 1):
 * minimise ½‖w‖² + C·Σ log(1 + exp(−yᵢ w·xᵢ)), labels ±1. Convex and smooth, so gradient descent
 * with a backtracking line search converges; width is small enough that no Hessian is needed.
 */
export function logisticRegression(
  xs: Rows,
  ys: readonly number[],
  opts: { c?: number; maxIter?: number; tol?: number } = {},
): Float32Array {
  const width = xs[0]?.length ?? 0;
  const C = opts.c ?? 1;
  const maxIter = opts.maxIter ?? 500;
  const tol = opts.tol ?? 1e-8;
  const w = new Float64Array(width);
  const loss = (v: ArrayLike<number>) => {
    let l = 0.5 * dot(v, v);
    xs.forEach((x, i) => {
      const m = ys[i]! * dot(v, x);
      l += C * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
    });
    return l;
  };
  let current = loss(w);
  let step = 1;
  for (let it = 0; it < maxIter; it++) {
    const g = Float64Array.from(w);
    xs.forEach((x, i) => {
      const m = ys[i]! * dot(w, x);
      const s = (C * -ys[i]!) / (1 + Math.exp(m)); // d/dm log(1+e^{-m}) = −σ(−m)
      for (let j = 0; j < width; j++) g[j]! += s * x[j]!;
    });
    const gg = dot(g, g);
    if (gg < tol * tol) break;
    step = Math.min(step * 2, 1e6);
    let trial = new Float64Array(width);
    let next = current;
    for (;;) {
      for (let j = 0; j < width; j++) trial[j] = w[j]! - step * g[j]!;
      next = loss(trial);
      if (next <= current - 0.5 * step * gg || step < 1e-12) break;
      step /= 2;
    }
    const improved = current - next;
    w.set(trial);
    trial = new Float64Array(0);
    current = next;
    if (improved < tol * Math.max(1, Math.abs(current))) break;
  }
  return Float32Array.from(w);
}
