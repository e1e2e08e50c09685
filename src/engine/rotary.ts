/**
 * Rotary position embeddings, in both layouts (spec.ts: RotaryLayout). The cos/sin tables are
 * built once per model in float64 and laid out so that rotation is a swap, two multiplies and an
 * add:
 *   x' = x · cos + swap(x) · sin±
 * where swap exchanges each feature with its pair partner and sin± carries the rotation's sign
 * (−sin on the first member of a pair, +sin on the second).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RotarySpec } from './spec';

export interface RotaryTables {
  readonly spec: RotarySpec;
  /** [nPositions, dim], each frequency repeated where its pair partner sits. */
  readonly cos: tf.Tensor2D;
  /** [nPositions, dim], signed as above. */
  readonly sin: tf.Tensor2D;
}

/** The tables gathered for one forward pass's positions, shaped to broadcast over heads. */
export interface RotaryAngles {
  readonly spec: RotarySpec;
  /** [1 | batch, pos, 1, dim] */
  readonly cos: tf.Tensor4D;
  readonly sin: tf.Tensor4D;
}

/**
 * Angular frequency of each rotating pair, θ^(−2i/dim), rescaled as `spec.scaling` says
 * (transformers' rope init functions: `linear` and `_compute_llama3_parameters`).
 */
export function rotaryFrequencies(spec: RotarySpec): Float64Array {
  const { dim, theta, scaling } = spec;
  const freqs = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) {
    const f = theta ** ((-2 * i) / dim);
    if (scaling?.type === 'linear') {
      freqs[i] = f / scaling.factor;
    } else if (scaling?.type === 'llama3') {
      const { factor, lowFreqFactor: low, highFreqFactor: high, originalContext: old } = scaling;
      const wavelength = (2 * Math.PI) / f;
      // Fast rotations (wavelength below old / high) are kept (smooth = 1), slow ones (above
      // old / low) divided by `factor` (smooth = 0), and the band between interpolated.
      const smooth = Math.min(1, Math.max(0, (old / wavelength - low) / (high - low)));
      freqs[i] = ((1 - smooth) * f) / factor + smooth * f;
    } else {
      freqs[i] = f;
    }
  }
  return freqs;
}

export function buildRotaryTables(spec: RotarySpec, nPositions: number): RotaryTables {
  const { dim, layout } = spec;
  const half = dim / 2;
  const freqs = rotaryFrequencies(spec);
  const cos = new Float32Array(nPositions * dim);
  const sin = new Float32Array(nPositions * dim);
  for (let p = 0; p < nPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * freqs[i]!;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      // half: frequency i rotates dims (i, i + half); interleaved: dims (2i, 2i + 1).
      const [a, b] = layout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];
      cos[p * dim + a] = c;
      cos[p * dim + b] = c;
      sin[p * dim + a] = -s;
      sin[p * dim + b] = s;
    }
  }
  return { spec, cos: tf.tensor2d(cos, [nPositions, dim]), sin: tf.tensor2d(sin, [nPositions, dim]) };
}

/**
 * Gathers the angles of `positions` ([pos] shared by the batch, or [batch, pos] for left-padded
 * batches) once per forward pass; every layer reuses them. Call inside tidy.
 */
export function rotaryAngles(tables: RotaryTables, positions: tf.Tensor): RotaryAngles {
  const rows = positions.rank === 1 ? 1 : positions.shape[0]!;
  const pos = positions.shape[positions.rank - 1]!;
  const shape: [number, number, number, number] = [rows, pos, 1, tables.spec.dim];
  return {
    spec: tables.spec,
    cos: tf.reshape(tf.gather(tables.cos, positions), shape),
    sin: tf.reshape(tf.gather(tables.sin, positions), shape),
  };
}

/** Rotates the first `dim` features of each head of x: [batch, pos, heads, dHead]. Call inside tidy. */
export function applyRotary(x: tf.Tensor4D, angles: RotaryAngles): tf.Tensor4D {
  const dHead = x.shape[3];
  const { dim, layout } = angles.spec;
  const rot = dim === dHead ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, dim]);
  const rotated = tf.add(tf.mul(rot, angles.cos), tf.mul(swapPairs(rot, layout), angles.sin));
  return (
    dim === dHead ? rotated : tf.concat([rotated, tf.slice(x, [0, 0, 0, dim], [-1, -1, -1, dHead - dim])], 3)
  ) as tf.Tensor4D;
}

/** Exchanges each feature with its pair partner: (a, b) → (b, a). */
function swapPairs(x: tf.Tensor4D, layout: RotarySpec['layout']): tf.Tensor4D {
  const [b, p, h, d] = x.shape;
  if (layout === 'half') {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.concat([x2!, x1!], 3) as tf.Tensor4D;
  }
  const [even, odd] = tf.split(tf.reshape(x, [b, p, h, d / 2, 2]), 2, 4);
  return tf.reshape(tf.concat([odd!, even!], 4), [b, p, h, d]);
}
