/**
 * Rotary position embeddings, in both layouts (spec.ts: RotaryLayout). The cos/sin tables are
 * built once per model in float64 and laid out so that rotation is two multiplies and an add:
 *   x' = x * cos + rotate(x) * sin
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RotarySpec } from './spec';

export interface RotaryTables {
  readonly spec: RotarySpec;
  /** [nPositions, dim], each frequency repeated where its pair partner sits. */
  readonly cos: tf.Tensor2D;
  readonly sin: tf.Tensor2D;
}

export function buildRotaryTables(spec: RotarySpec, nPositions: number): RotaryTables {
  const { dim, theta, layout } = spec;
  const half = dim / 2;
  const cos = new Float32Array(nPositions * dim);
  const sin = new Float32Array(nPositions * dim);
  for (let p = 0; p < nPositions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p / theta ** ((2 * i) / dim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      // half: frequency i rotates dims (i, i + half); interleaved: dims (2i, 2i + 1).
      const [a, b] = layout === 'half' ? [i, i + half] : [2 * i, 2 * i + 1];
      cos[p * dim + a] = c;
      cos[p * dim + b] = c;
      sin[p * dim + a] = s;
      sin[p * dim + b] = s;
    }
  }
  return { spec, cos: tf.tensor2d(cos, [nPositions, dim]), sin: tf.tensor2d(sin, [nPositions, dim]) };
}

/**
 * Rotates the first `dim` features of each head. x: [batch, pos, heads, dHead];
 * positions: [pos] (shared by the batch) or [batch, pos] (left-padded batches). Call inside tidy.
 */
export function applyRotary(x: tf.Tensor4D, positions: tf.Tensor, tables: RotaryTables): tf.Tensor4D {
  const [batch, pos, , dHead] = x.shape;
  const { dim, layout } = tables.spec;
  const rows = positions.rank === 1 ? 1 : batch;
  // [rows, pos, 1, dim]: broadcast over heads (and over the batch when positions are shared).
  const cos = tf.reshape(tf.gather(tables.cos, positions), [rows, pos, 1, dim]);
  const sin = tf.reshape(tf.gather(tables.sin, positions), [rows, pos, 1, dim]);
  const rot = dim === dHead ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, dim]);
  const rotated = tf.add(tf.mul(rot, cos), tf.mul(rotatePairs(rot, layout), sin));
  return (
    dim === dHead ? rotated : tf.concat([rotated, tf.slice(x, [0, 0, 0, dim], [-1, -1, -1, dHead - dim])], 3)
  ) as tf.Tensor4D;
}

/** The pair partner of each feature with the sign of a 90° rotation: (a, b) → (−b, a). */
function rotatePairs(x: tf.Tensor4D, layout: RotarySpec['layout']): tf.Tensor4D {
  const [b, p, h, d] = x.shape;
  if (layout === 'half') {
    const [x1, x2] = tf.split(x, 2, 3);
    return tf.concat([tf.neg(x2!), x1!], 3) as tf.Tensor4D;
  }
  const pairs = tf.reshape(x, [b, p, h, d / 2, 2]);
  const [even, odd] = tf.split(pairs, 2, 4);
  return tf.reshape(tf.concat([tf.neg(odd!), even!], 4), [b, p, h, d]);
}
