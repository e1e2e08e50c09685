/**
 * The tensor side of each operator: pure functions of an activation [..., width] and tensors
 * precomputed at compile time. They run inside the forward pass's tidy (intermediates are freed
 * there) and never dispose their inputs.
 */
import * as tf from '@tensorflow/tfjs-core';

/** x · u over the last axis, as [..., 1] (one matmul: tfjs-wasm runs it through XNNPACK). */
export function dotLast(x: tf.Tensor, u: tf.Tensor1D): tf.Tensor {
  const width = x.shape[x.rank - 1]!;
  const p = tf.matMul(tf.reshape(x, [-1, width]), tf.reshape(u, [width, 1]));
  return tf.reshape(p, [...x.shape.slice(0, -1), 1]);
}

/** ‖x‖ over the last axis, as [..., 1]. */
export function normLast(x: tf.Tensor): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(x), -1, true));
}

/** x − s·(x·u)u for unit u: directional ablation (s = 1 removes the component entirely). */
export function projectOut(x: tf.Tensor, u: tf.Tensor1D, s = 1): tf.Tensor {
  const p = dotLast(x, u);
  return tf.sub(x, tf.mul(s === 1 ? p : tf.mul(p, s), u));
}

/** y rescaled, position by position, to the norm x had (zero-norm positions keep y). */
export function renormalize(y: tf.Tensor, x: tf.Tensor): tf.Tensor {
  const ny = normLast(y);
  const ratio = tf.div(normLast(x), tf.maximum(ny, 1e-30));
  return tf.where(tf.greater(ny, 0), tf.mul(y, ratio), y);
}

/** The plane (b1, b2) as the matrices the rotations need. */
export interface PlaneTensors {
  /** [width, 2]: columns b1, b2. */
  readonly B: tf.Tensor2D;
  /** [2, width]: rows b1, b2. */
  readonly Bt: tf.Tensor2D;
}

export function planeTensors(b1: Float32Array, b2: Float32Array): PlaneTensors {
  const width = b1.length;
  const rows = new Float32Array(2 * width);
  rows.set(b1, 0);
  rows.set(b2, width);
  return tf.tidy(() => {
    const Bt = tf.tensor2d(rows, [2, width]);
    return { Bt, B: tf.transpose(Bt) };
  });
}

/** [n, 2] in-plane coordinates (h·b1, h·b2) of x [..., width] flattened to n rows. */
function coords(x: tf.Tensor, plane: PlaneTensors): tf.Tensor2D {
  const width = x.shape[x.rank - 1]!;
  return tf.matMul(tf.reshape(x, [-1, width]), plane.B);
}

/**
 * Selective steering's relative rotation: h' = h − Ph + R_θh, R_θ = cos θ·P + sin θ·(b2b1ᵀ − b1b2ᵀ).
 * With c = (h·b1, h·b2): h' = h + c₁((cos θ−1)b1 + sin θ b2) + c₂((cos θ−1)b2 − sin θ b1), the
 * second factor precomputed as `rotation` [2, width] (see selectiveRotation).
 */
export function rotateSelective(x: tf.Tensor, plane: PlaneTensors, rotation: tf.Tensor2D): tf.Tensor {
  const delta = tf.matMul(coords(x, plane), rotation);
  return tf.add(x, tf.reshape(delta, x.shape));
}

/** The [2, width] matrix of rotateSelective for angle θ (radians). */
export function selectiveRotation(b1: Float32Array, b2: Float32Array, theta: number): tf.Tensor2D {
  const c = Math.cos(theta) - 1;
  const s = Math.sin(theta);
  const width = b1.length;
  const m = new Float32Array(2 * width);
  for (let i = 0; i < width; i++) {
    m[i] = c * b1[i]! + s * b2[i]!;
    m[width + i] = c * b2[i]! - s * b1[i]!;
  }
  return tf.tensor2d(m, [2, width]);
}

export interface AngularOptions {
  /** Target angle θ (radians) from b1 towards b2. */
  readonly theta: number;
  /** Only rotate where h·b1 > 0 (the adaptive operator). */
  readonly adaptive: boolean;
  /** Fraction of the turn from the current angle to θ; 1 is the published operator. */
  readonly strength: number;
}

/**
 * Angular steering: h' = h − Ph + ‖Ph‖(cos θ·b1 + sin θ·b2). For strength s < 1 the in-plane
 * angle moves from its current φ to φ + s·wrap(θ − φ), still at radius ‖Ph‖, so the norm is kept.
 */
export function rotateAngular(x: tf.Tensor, plane: PlaneTensors, opts: AngularOptions): tf.Tensor {
  const c = coords(x, plane); // [n, 2]
  const [c1, c2] = tf.split(c, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const r = tf.sqrt(tf.add(tf.square(c1), tf.square(c2))); // [n, 1]
  let target: tf.Tensor2D; // [n, 2] new in-plane coordinates
  if (opts.strength === 1) {
    target = tf.mul(r, tf.tensor2d([[Math.cos(opts.theta), Math.sin(opts.theta)]]));
  } else {
    const phi = tf.atan2(c2, c1);
    const turn = tf.sub(tf.scalar(opts.theta), phi);
    // wrap(θ − φ) into (−π, π]: turn the short way round.
    const wrapped = tf.sub(turn, tf.mul(tf.round(tf.div(turn, 2 * Math.PI)), 2 * Math.PI));
    const psi = tf.add(phi, tf.mul(wrapped, opts.strength));
    target = tf.concat([tf.mul(r, tf.cos(psi)), tf.mul(r, tf.sin(psi))], 1) as tf.Tensor2D;
  }
  let delta: tf.Tensor = tf.matMul(tf.sub(target, c), plane.Bt); // [n, width]
  if (opts.adaptive) delta = tf.mul(delta, tf.cast(tf.greater(c1, 0), 'float32'));
  return tf.add(x, tf.reshape(delta, x.shape));
}

/**
 * GUARD-IT's redirection h' = (h − cs)·‖h‖/‖h − cs‖ (`shift` = c·s), applied to the rows of a
 * [batch, pos, width] activation whose gate fires (`gate` [batch, 1, 1] bool; all when absent).
 */
export function redirect(x: tf.Tensor, shift: tf.Tensor1D, gate?: tf.Tensor): tf.Tensor {
  const y = renormalize(tf.sub(x, shift), x);
  return gate ? tf.where(gate, y, x) : y;
}

/** cos(x at the last position of each row, centroid) > threshold, as [batch, 1, 1] bool. */
export function cosineGate(x: tf.Tensor, centroid: tf.Tensor1D, threshold: number): tf.Tensor {
  const [batch, pos, width] = x.shape as [number, number, number];
  const last = tf.slice(x, [0, pos - 1, 0], [batch, 1, width]);
  const cos = tf.div(dotLast(last, centroid), tf.maximum(normLast(last), 1e-30));
  return tf.greater(cos, threshold);
}

/** x with every entry of |x| ≤ ε set to 0 (activation sparsity, METHODS.md §15). */
export function zeroBelow(x: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(x, tf.cast(tf.greater(tf.abs(x), eps), x.dtype));
}
