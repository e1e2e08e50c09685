/**
 * Training a sparse autoencoder with tfjs (METHODS.md §17), small enough to run in the page's
 * worker: Adam on ‖x − x̂‖² + λ‖f‖₁ (per token, averaged over a batch), decoder directions put back
 * to unit norm after every step, and dead features resampled (Anthropic's recipe: towards inputs
 * the SAE reconstructs worst, encoder and Adam state reset for them). Inputs are scaled so that
 * their mean norm is √d_in, which makes λ mean the same thing for every model; the scale is folded
 * back into b_enc and b_dec at the end, so the SAE works on raw activations with the same f·scale.
 *
 * The gradients are written out by hand (below) rather than taken by tf.grad: every matrix product
 * is then a plain 2-D one, which tfjs-wasm runs through XNNPACK, while the transposed products of
 * the automatic gradients take its generic loop, several times slower.
 *
 * Progress is reported every `progressEvery` steps, each report yielding to the event loop so a
 * worker can take a cancellation; `signal` aborts with CancelledError and frees everything.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CancelledError, RudderError, seededRandom, yieldToEventLoop } from '../../engine';
import { gaussian } from '../linalg';
import type { SparseAutoencoder } from './model';

export interface SaeTrainOptions {
  /** Features; default 8 × d_in. */
  readonly dSae?: number;
  /** λ, the L1 coefficient (on the normalised scale). Default 5. */
  readonly l1?: number;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  /** Steps (as fractions of `steps`) at which dead features are resampled. Default 0.25, 0.5, 0.75. */
  readonly resampleAt?: readonly number[];
  readonly seed?: number;
  readonly progressEvery?: number;
  readonly onProgress?: (p: SaeProgress) => void;
  readonly signal?: AbortSignal;
}

export interface SaeProgress {
  readonly step: number;
  readonly steps: number;
  /** Of the last batch, on the normalised scale. */
  readonly mse: number;
  readonly l0: number;
  /** Features that have not fired since the last resampling (or the start). */
  readonly dead: number;
  readonly resampled: number;
}

export interface SaeTrainResult {
  readonly sae: SparseAutoencoder;
  readonly ms: number;
  readonly resampled: number;
}

/** What the SAE is trained on: rows of activations and where they were read. */
export interface SaeData {
  readonly modelId: string;
  readonly hook: SparseAutoencoder['hook'];
  readonly layer: number;
  readonly dIn: number;
  /** [rows, dIn], row-major. */
  readonly rows: Float32Array;
}

export async function trainSae(data: SaeData, opts: SaeTrainOptions = {}): Promise<SaeTrainResult> {
  const started = performance.now();
  const d = data.dIn;
  const n = data.rows.length / d;
  if (!Number.isInteger(n) || n < 2)
    throw new RudderError('empty-input', 'An SAE needs at least two activation rows.');
  const m = opts.dSae ?? 8 * d;
  const l1 = opts.l1 ?? 5;
  const steps = opts.steps ?? 2000;
  const batch = Math.min(opts.batchSize ?? 512, n);
  const resampleSteps = new Set((opts.resampleAt ?? [0.25, 0.5, 0.75]).map((f) => Math.round(f * steps)));
  const rand = seededRandom(opts.seed ?? 1);
  const scale = meanNorm(data.rows, d) / Math.sqrt(d);

  const X = tf.tidy(() => tf.div(tf.tensor2d(data.rows, [n, d]), scale)) as tf.Tensor2D;
  const init = initialWeights(data.rows, d, m, scale, rand);
  // Made in tidy: a variable does not free the tensor it was made from.
  const params: Params = tf.tidy(() => ({
    W_enc: tf.variable(tf.tensor2d(init.W_enc, [d, m])),
    b_enc: tf.variable(tf.zeros([m])),
    W_dec: tf.variable(tf.tensor2d(init.W_dec, [m, d])),
    b_dec: tf.variable(tf.tensor1d(init.b_dec)),
  }));
  const { W_enc, b_enc, W_dec, b_dec } = params;
  const adam = new Adam(params, opts.learningRate ?? 1e-3);
  const sinceFired = new Int32Array(m);
  let resampled = 0;
  const forward = (x: tf.Tensor2D) => {
    const f = tf.relu(tf.add(tf.matMul(tf.sub(x, b_dec), W_enc), b_enc));
    return { f, xhat: tf.add(tf.matMul(f, W_dec), b_dec) };
  };
  try {
    for (let step = 1; step <= steps; step++) {
      if (opts.signal?.aborted) throw new CancelledError();
      const idx = Int32Array.from({ length: batch }, () => Math.floor(rand() * n));
      const fired = tf.tidy(() => {
        const x = tf.gather(X, tf.tensor1d(idx, 'int32')) as tf.Tensor2D;
        const stats = gradientStep(x, params, adam, l1);
        W_dec.assign(tf.div(W_dec, tf.sqrt(tf.sum(tf.square(W_dec), 1, true))));
        return stats;
      });
      const [any, mse, l0] = await Promise.all([fired.any.data(), fired.mse.data(), fired.l0.data()]);
      tf.dispose([fired.any, fired.mse, fired.l0]);
      for (let j = 0; j < m; j++) sinceFired[j] = any[j]! > 0 ? 0 : sinceFired[j]! + 1;
      if (resampleSteps.has(step)) {
        // Dead: silent for every batch since the last resampling (or since the start).
        const dead = [...sinceFired.keys()].filter(
          (j) => sinceFired[j]! >= Math.min(step, Math.round(steps / 8)),
        );
        if (dead.length) await resample(dead, X, params, adam, forward, rand);
        resampled += dead.length;
        for (const j of dead) sinceFired[j] = 0;
      }
      if (opts.onProgress && (step % (opts.progressEvery ?? 50) === 0 || step === steps)) {
        opts.onProgress({
          step,
          steps,
          mse: mse[0]!,
          l0: l0[0]!,
          dead: sinceFired.filter((s) => s >= Math.min(step, Math.round(steps / 8))).length,
          resampled,
        });
        await yieldToEventLoop();
      }
    }
    const [We, be, Wd, bd] = await Promise.all([W_enc.data(), b_enc.data(), W_dec.data(), b_dec.data()]);
    const sae: SparseAutoencoder = {
      modelId: data.modelId,
      hook: data.hook,
      layer: data.layer,
      dIn: d,
      dSae: m,
      // Trained on x/s: f' = s·f = ReLU(W_enc(x − s·b_dec) + s·b_enc), x̂ = W_dec f' + s·b_dec.
      W_enc: We as Float32Array,
      b_enc: Float32Array.from(be as Float32Array, (v) => v * scale),
      W_dec: Wd as Float32Array,
      b_dec: Float32Array.from(bd as Float32Array, (v) => v * scale),
      l1,
    };
    return { sae, ms: performance.now() - started, resampled };
  } finally {
    X.dispose();
    adam.dispose();
    tf.dispose(Object.values(params));
  }
}

/**
 * One Adam step on L = mean over rows of ‖x̂ − x‖² + λ·Σf, with the gradients by hand (in tidy):
 *   g = 2(x̂ − x)/B,  ∂W_dec = fᵀg,  ∂f = g·W_decᵀ + λ/B,  ∂pre = ∂f ∘ [pre > 0],
 *   ∂W_enc = (x − b_dec)ᵀ∂pre,  ∂b_enc = Σ∂pre,  ∂b_dec = Σg − (Σ∂pre)·W_encᵀ.
 * Returns the batch's statistics before the step.
 */
function gradientStep(x: tf.Tensor2D, p: Params, adam: Adam, l1: number) {
  const B = x.shape[0];
  const xc = tf.sub(x, p.b_dec);
  const pre = tf.add(tf.matMul(xc, p.W_enc), p.b_enc);
  const f = tf.relu(pre);
  const err = tf.sub(tf.add(tf.matMul(f, p.W_dec), p.b_dec), x);
  const g = tf.mul(err, 2 / B);
  const dPre = tf.mul(
    tf.add(tf.matMul(g, tf.transpose(p.W_dec)), l1 / B),
    tf.cast(tf.greater(pre, 0), 'float32'),
  );
  const dPreSum = tf.sum(dPre, 0, true);
  adam.step({
    W_enc: tf.matMul(tf.transpose(xc), dPre),
    b_enc: tf.reshape(dPreSum, [-1]),
    W_dec: tf.matMul(tf.transpose(f), g),
    b_dec: tf.reshape(tf.sub(tf.sum(g, 0, true), tf.matMul(dPreSum, tf.transpose(p.W_enc))), [-1]),
  });
  return {
    any: tf.max(f, 0),
    mse: tf.mean(tf.sum(tf.square(err), 1)),
    l0: tf.mean(tf.sum(tf.cast(tf.greater(f, 0), 'float32'), 1)),
  };
}

/** The mean L2 norm of the rows of [n, d]. */
export function meanNorm(rows: Float32Array, d: number): number {
  let sum = 0;
  for (let i = 0; i < rows.length; i += d) {
    let s = 0;
    for (let j = i; j < i + d; j++) s += rows[j]! ** 2;
    sum += Math.sqrt(s);
  }
  return sum / (rows.length / d) || 1;
}

/** Random unit decoder rows, the encoder their transpose, b_dec the (scaled) mean input. */
function initialWeights(rows: Float32Array, d: number, m: number, scale: number, rand: () => number) {
  const W_dec = new Float32Array(m * d);
  for (let j = 0; j < m; j++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const g = gaussian(rand);
      W_dec[j * d + i] = g;
      s += g * g;
    }
    for (let i = 0; i < d; i++) W_dec[j * d + i]! /= Math.sqrt(s);
  }
  const W_enc = new Float32Array(d * m);
  for (let j = 0; j < m; j++) for (let i = 0; i < d; i++) W_enc[i * m + j] = W_dec[j * d + i]!;
  const n = rows.length / d;
  const b_dec = new Float32Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) b_dec[i]! += rows[r * d + i]! / (n * scale);
  return { W_enc, W_dec, b_dec };
}

type Params = Record<'W_enc' | 'b_enc' | 'W_dec' | 'b_dec', tf.Variable>;

/**
 * Dead features point at inputs the SAE reconstructs worst: from a sample of inputs, pick with
 * probability ∝ ‖x − x̂‖², set the decoder row to the unit error direction, the encoder column to
 * it times 0.2 × the mean encoder norm of the live features, b_enc to 0, and their Adam state to 0.
 */
async function resample(
  dead: readonly number[],
  X: tf.Tensor2D,
  params: Params,
  adam: Adam,
  forward: (x: tf.Tensor2D) => { f: tf.Tensor; xhat: tf.Tensor },
  rand: () => number,
): Promise<void> {
  const [n, d] = X.shape;
  const m = params.b_enc.shape[0]!;
  const sample = Int32Array.from({ length: Math.min(n, 4096) }, () => Math.floor(rand() * n));
  const errT = tf.tidy(() => {
    const x = tf.gather(X, tf.tensor1d(sample, 'int32')) as tf.Tensor2D;
    return tf.sub(x, forward(x).xhat);
  });
  const err = (await errT.data()) as Float32Array;
  errT.dispose();
  const weights = Float64Array.from({ length: sample.length }, (_, i) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += err[i * d + j]! ** 2;
    return s ** 2;
  });
  const total = weights.reduce((a, b) => a + b, 0);
  const deadSet = new Set(dead);
  const encT = tf.tidy(() => tf.norm(params.W_enc, 'euclidean', 0));
  const encNorms = (await encT.data()) as Float32Array;
  encT.dispose();
  const alive = [...encNorms].filter((_, j) => !deadSet.has(j));
  const encScale = 0.2 * (alive.length ? alive.reduce((a, b) => a + b, 0) / alive.length : 1);
  const [We, Wd, be] = (await Promise.all([
    params.W_enc.data(),
    params.W_dec.data(),
    params.b_enc.data(),
  ])) as Float32Array[];
  for (const j of dead) {
    let r = rand() * total;
    let i = 0;
    while (i < weights.length - 1 && r > weights[i]!) r -= weights[i++]!;
    let e = err.subarray(i * d, (i + 1) * d);
    // Nothing left to explain there (a perfect reconstruction): any direction will do.
    if (!e.some((x) => x !== 0)) e = Float32Array.from(e, () => rand() - 0.5);
    const norm = Math.hypot(...e);
    for (let k = 0; k < d; k++) {
      Wd![j * d + k] = e[k]! / norm;
      We![k * m + j] = (e[k]! / norm) * encScale;
    }
    be![j] = 0;
  }
  tf.tidy(() => {
    params.W_enc.assign(tf.tensor2d(We!, [d, m]));
    params.W_dec.assign(tf.tensor2d(Wd!, [m, d]));
    params.b_enc.assign(tf.tensor1d(be!));
  });
  adam.resetFeatures(dead, m);
}

/** Adam (Kingma & Ba), by hand so that resampled features' moments can be reset. */
class Adam {
  private readonly m: Record<string, tf.Variable>;
  private readonly v: Record<string, tf.Variable>;
  private t = 0;
  constructor(
    private readonly params: Params,
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    const zeros = () =>
      tf.tidy(() =>
        Object.fromEntries(Object.entries(params).map(([k, p]) => [k, tf.variable(tf.zerosLike(p), false)])),
      );
    this.m = zeros();
    this.v = zeros();
  }

  /** One update (call inside tidy). */
  step(grads: Record<keyof Params, tf.Tensor>): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    for (const [k, p] of Object.entries(this.params) as [keyof Params, tf.Variable][]) {
      const g = grads[k];
      const m = this.m[k]!;
      const v = this.v[k]!;
      m.assign(tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1)));
      v.assign(tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2)));
      p.assign(tf.sub(p, tf.mul(tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps)), this.lr)));
    }
  }

  /** Zeroes the moments of features `js` (columns of W_enc, entries of b_enc, rows of W_dec). */
  resetFeatures(js: readonly number[], m: number): void {
    const keep = new Float32Array(m).fill(1);
    for (const j of js) keep[j] = 0;
    tf.tidy(() => {
      const k = tf.tensor1d(keep);
      for (const s of [this.m, this.v]) {
        s.W_enc!.assign(tf.mul(s.W_enc!, k));
        s.b_enc!.assign(tf.mul(s.b_enc!, k));
        s.W_dec!.assign(tf.mul(s.W_dec!, tf.reshape(k, [m, 1])));
      }
    });
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}
