/**
 * Numbers kept to 4 significant decimal digits, as the activation fingerprint carries them
 * (METHODS.md §16): x = ±m·10^(e−3) with the mantissa m in [1000, 9999] (0 for zero). Rounding and
 * the link encoding (src/experiment/fingerprint.ts) share this one split, so a value read back
 * from a link is bit for bit the value that was rounded. No runtime imports: experiment uses it.
 */

export interface Significant4 {
  readonly negative: boolean;
  /** 1000..9999, or 0 for zero. */
  readonly mantissa: number;
  /** Decimal exponent of the leading digit. */
  readonly exponent: number;
}

/** The 4-significant-digit split of a finite number (round half away from zero). */
export function significant4(x: number): Significant4 {
  if (x === 0 || !Number.isFinite(x)) return { negative: x < 0, mantissa: 0, exponent: 0 };
  const a = Math.abs(x);
  let e = Math.floor(Math.log10(a));
  let m = Math.round(a / 10 ** (e - 3));
  // log10 is off by one near powers of ten, and rounding may carry into a fifth digit.
  if (m >= 10_000) {
    e += 1;
    m = Math.round(a / 10 ** (e - 3));
  } else if (m < 1000) {
    e -= 1;
    m = Math.round(a / 10 ** (e - 3));
  }
  return { negative: x < 0, mantissa: m, exponent: e };
}

/** The float32 value of a split. */
export function fromSignificant4(s: Significant4): number {
  const v = s.mantissa === 0 ? 0 : s.mantissa * 10 ** (s.exponent - 3);
  return Math.fround(s.negative ? -v : v);
}

/** x rounded to 4 significant digits, as float32. */
export function round4(x: number): number {
  return Number.isFinite(x) ? fromSignificant4(significant4(x)) : x;
}
