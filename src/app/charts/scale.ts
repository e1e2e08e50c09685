/** Small scale and tick helpers for the views' SVG charts (a linear map and round ticks are all they need). */

export interface Linear {
  (v: number): number;
  readonly domain: readonly [number, number];
}

/** A linear map from [d0, d1] onto [r0, r1]; a flat domain is widened so nothing divides by 0. */
export function linear(domain: readonly [number, number], range: readonly [number, number]): Linear {
  let [d0, d1] = domain;
  if (!(d1 > d0)) [d0, d1] = [d0 - 1, d0 + 1];
  const [r0, r1] = range;
  const f = (v: number) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
  return Object.assign(f, { domain: [d0, d1] as const });
}

/** The extent of the finite values, padded by `pad` of its width on each side. */
export function extent(values: readonly number[], pad = 0.05): [number, number] {
  const xs = values.filter(Number.isFinite);
  if (!xs.length) return [0, 1];
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const p = (hi - lo || Math.abs(hi) || 1) * pad;
  return [lo - p, hi + p];
}

/** About `n` round tick values across [lo, hi]. */
export function ticks(lo: number, hi: number, n = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** A tick value as short as it can be written (ticks are round numbers already). */
export function tickText(v: number): string {
  return String(+v.toPrecision(4));
}

export function fmt(v: number, digits = 2): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(1) : v.toFixed(digits);
}

/** Distinct colours for a few series (positions), readable on light and dark backgrounds. */
export const SERIES = [
  '#2456c9',
  '#c45f00',
  '#1f8a4c',
  '#8a3ffc',
  '#b8336a',
  '#00838f',
  '#6d6d00',
  '#5b6472',
];
