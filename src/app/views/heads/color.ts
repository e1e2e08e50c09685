/**
 * Colour scales for the head grid (two small interpolations). Signed
 * measures (attribution, patching) use a diverging blue–white–red scale centred on 0 and
 * symmetric, so that white always means "no effect"; entropy, which is never negative, runs
 * from light to dark.
 */

type Rgb = readonly [number, number, number];

const BLUE: Rgb = [33, 102, 172];
const WHITE: Rgb = [247, 247, 247];
const RED: Rgb = [178, 24, 43];
const LIGHT: Rgb = [240, 246, 252];
const DARK: Rgb = [8, 48, 107];

export interface ColorScale {
  readonly kind: 'diverging' | 'sequential';
  readonly min: number;
  readonly max: number;
  color(v: number): string;
  /** Black or white, whichever reads on `color(v)`. */
  ink(v: number): string;
  /** Gradient stops (offset 0..1, colour) for the legend. */
  readonly stops: readonly (readonly [number, string])[];
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  const c = Math.min(1, Math.max(0, t));
  return [a[0] + (b[0] - a[0]) * c, a[1] + (b[1] - a[1]) * c, a[2] + (b[2] - a[2]) * c];
}

function css(c: Rgb): string {
  return `rgb(${c.map((x) => Math.round(x)).join(',')})`;
}

function luminance(c: Rgb): number {
  return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
}

export function colorScale(values: readonly number[], kind: 'diverging' | 'sequential'): ColorScale {
  const finite = values.filter(Number.isFinite);
  if (kind === 'diverging') {
    const m = Math.max(1e-9, ...finite.map(Math.abs));
    const rgb = (v: number): Rgb => (v < 0 ? mix(WHITE, BLUE, -v / m) : mix(WHITE, RED, v / m));
    return {
      kind,
      min: -m,
      max: m,
      color: (v) => (Number.isFinite(v) ? css(rgb(v)) : 'transparent'),
      ink: (v) => (luminance(rgb(v)) < 0.55 ? '#ffffff' : '#1d1f23'),
      stops: [
        [0, css(BLUE)],
        [0.5, css(WHITE)],
        [1, css(RED)],
      ],
    };
  }
  const min = Math.min(0, ...finite);
  const max = Math.max(min + 1e-9, ...finite);
  const rgb = (v: number): Rgb => mix(LIGHT, DARK, (v - min) / (max - min));
  return {
    kind,
    min,
    max,
    color: (v) => (Number.isFinite(v) ? css(rgb(v)) : 'transparent'),
    ink: (v) => (luminance(rgb(v)) < 0.55 ? '#ffffff' : '#1d1f23'),
    stops: [
      [0, css(LIGHT)],
      [1, css(DARK)],
    ],
  };
}

/** A number short enough for a cell: 3 significant digits, no exponent for ordinary sizes. */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.001 || a >= 1e5)) return v.toExponential(1);
  return String(+v.toPrecision(3));
}
