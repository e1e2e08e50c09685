/**
 * Verified replay (METHODS.md §16, DiFR-style): a compact fingerprint of a run's activations, so
 * that whoever replays a link can see whether their run matches the author's, and by how much it
 * differs. For a seed, k orthonormal random directions r_i (Gaussian, Gram-Schmidt, from the
 * seeded generator) are projected on `resid_post` of a few layers at the prompt's last positions:
 * f[layer, position, i] = r_i · h, each rounded to 4 significant digits.
 *
 * Comparing: per activation h (one layer at one position) the k projections estimate h up to a
 * random rotation, so ‖f − f'‖/‖f‖ estimates ‖h − h'‖/‖h‖ (Johnson-Lindenstrauss); the fingerprint's
 * difference is the largest of these. Equal rounded values are "identical"; a difference within
 * the tolerance of the two backends is "reproduced"; more is "differs".
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, type Hooks, hookName, type Model, RudderError, seededRandom } from '../engine';
import { readAll } from './batching';
import { gaussian } from './linalg';
import { round4 } from './significant';

export interface FingerprintSpec {
  readonly seed: number;
  /** Random directions per activation. */
  readonly k: number;
  /** `resid_post` layers read. */
  readonly layers: readonly number[];
  /** How many of the prompt's last positions are read. */
  readonly positions: number;
}

/** f, row-major [layers, positions, k], each value rounded to 4 significant digits. */
export interface Fingerprint {
  readonly spec: FingerprintSpec;
  readonly values: Float32Array;
}

/** METHODS.md's example: 8 directions on 3 layers (a third, two thirds, the last) at the last 4 positions. */
export function defaultFingerprintSpec(nLayers: number, seed = 1): FingerprintSpec {
  const layers = [...new Set([Math.floor(nLayers / 3), Math.floor((2 * nLayers) / 3), nLayers - 1])];
  return { seed, k: 8, layers, positions: 4 };
}

/** k orthonormal directions of width d drawn from the seed, as [d, k] (float64 Gram-Schmidt). */
export function randomDirections(seed: number, d: number, k: number): Float32Array {
  if (k > d)
    throw new RudderError('bad-fingerprint', `${k} directions cannot be orthonormal in ${d} dimensions.`);
  const rand = seededRandom(seed);
  const gauss = () => gaussian(rand);
  const basis: Float64Array[] = [];
  while (basis.length < k) {
    const v = Float64Array.from({ length: d }, gauss);
    for (const b of basis) {
      let p = 0;
      for (let j = 0; j < d; j++) p += v[j]! * b[j]!;
      for (let j = 0; j < d; j++) v[j]! -= p * b[j]!;
    }
    const n = Math.hypot(...v);
    if (n < 1e-6) continue;
    basis.push(v.map((x) => x / n));
  }
  const out = new Float32Array(d * k);
  basis.forEach((b, i) => b.forEach((x, j) => (out[j * k + i] = x)));
  return out;
}

/** The fingerprint of one prompt's forward pass (with `hooks`, e.g. the experiment's steering). */
export async function activationFingerprint(
  model: Model,
  tokens: readonly number[],
  spec: FingerprintSpec,
  opts: { readonly hooks?: Hooks } = {},
): Promise<Fingerprint> {
  const { nLayers, dModel: d } = model.spec;
  for (const l of spec.layers)
    if (!Number.isInteger(l) || l < 0 || l >= nLayers)
      throw new RudderError(
        'bad-fingerprint',
        `The fingerprint reads layer ${l}; the model has 0..${nLayers - 1}.`,
      );
  if (!(Number.isInteger(spec.positions) && spec.positions >= 1 && spec.positions <= tokens.length))
    throw new RudderError(
      'bad-fingerprint',
      `The fingerprint reads the last ${spec.positions} positions of a ${tokens.length}-token prompt.`,
    );
  const names = spec.layers.map((l) => hookName('resid_post', l));
  const r = model.run(tokens, { hooks: opts.hooks, cache: names, logits: 'none' });
  let f: tf.Tensor;
  try {
    f = tf.tidy(() => {
      const R = tf.tensor2d(randomDirections(spec.seed, d, spec.k), [d, spec.k]);
      const T = tokens.length;
      const h = tf.concat(
        names.map((n) => tf.slice(r.cache.get(n)!, [0, T - spec.positions, 0], [1, -1, -1])),
      );
      return tf.matMul(tf.reshape(h, [-1, d]), R); // [layers·positions, k]
    });
  } finally {
    disposeResult(r);
  }
  const [values] = await readAll([f]);
  return { spec, values: Float32Array.from(values as Float32Array, round4) };
}

/** Tolerances of the fingerprint difference, by backend pair (unordered). */
export const FINGERPRINT_TOLERANCE = {
  /**
   * One unit in the 4th digit is up to 1e-3 of a value: a last-bit difference that crosses a
   * rounding boundary moves a value that far, so no tolerance can be below it.
   */
  rounding: 1e-3,
  /** Measured (tests and `rudder fingerprint --compare-backends`): WASM vs CPU differ near 1e-6. */
  'cpu|wasm': 1e-3,
  /** METHODS.md §16: WebGPU's float32 kernels reorder sums; 1e-3 above rounding. */
  'cpu|webgpu': 2e-3,
  'wasm|webgpu': 2e-3,
  'webgl|webgpu': 3e-3,
  /** Backend pairs not listed (WebGL's float16 textures on some devices drift further). */
  other: 1e-2,
} as const;

export function fingerprintTolerance(a: string, b: string): number {
  if (a === b) return FINGERPRINT_TOLERANCE.rounding;
  const key = [a, b].sort().join('|') as keyof typeof FINGERPRINT_TOLERANCE;
  return FINGERPRINT_TOLERANCE[key] ?? FINGERPRINT_TOLERANCE.other;
}

export type FingerprintVerdict = 'identical' | 'reproduced' | 'differs';

export interface FingerprintComparison {
  /** max over activations of ‖f − f'‖/‖f‖ (f the reference's). */
  readonly maxRelDiff: number;
  /** The same per activation, row-major [layers, positions]. */
  readonly relDiff: Float32Array;
  readonly tolerance: number;
  readonly verdict: FingerprintVerdict;
}

/** Compares a replayed fingerprint with the reference one (same spec), for a backend pair. */
export function compareFingerprints(
  reference: Fingerprint,
  replay: Fingerprint,
  backends: readonly [string, string],
): FingerprintComparison {
  const { k } = reference.spec;
  if (
    JSON.stringify(reference.spec) !== JSON.stringify(replay.spec) ||
    reference.values.length !== replay.values.length
  )
    throw new RudderError(
      'bad-fingerprint',
      'The two fingerprints read different activations; they cannot be compared.',
    );
  const n = reference.values.length / k;
  const relDiff = new Float32Array(n);
  let identical = true;
  for (let g = 0; g < n; g++) {
    let num = 0;
    let den = 0;
    for (let i = g * k; i < (g + 1) * k; i++) {
      const a = reference.values[i]!;
      const b = replay.values[i]!;
      if (!Object.is(a, b)) identical = false;
      num += (a - b) ** 2;
      den += a * a;
    }
    relDiff[g] = den > 0 ? Math.sqrt(num / den) : num > 0 ? Number.POSITIVE_INFINITY : 0;
  }
  let maxRelDiff = 0;
  // NaN (a broken run) must never read as a match.
  for (const x of relDiff) maxRelDiff = Number.isNaN(x) ? Number.POSITIVE_INFINITY : Math.max(maxRelDiff, x);
  const tolerance = fingerprintTolerance(backends[0], backends[1]);
  const verdict: FingerprintVerdict = identical
    ? 'identical'
    : maxRelDiff <= tolerance
      ? 'reproduced'
      : 'differs';
  return { maxRelDiff, relDiff, tolerance, verdict };
}
