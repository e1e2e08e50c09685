/**
 * Activation sparsity (METHODS.md §15; ProSparse, CHESS, Sparsing Law): per layer, the share of
 * MLP hidden activations (`mlp.hook_post`: after the activation function, for SwiGLU the product
 * act(gate)·up) with |x| ≤ ε; thresholds fixed or per-layer magnitude quantiles (CHESS); and the
 * `sparsify` intervention (compile.ts) that zeroes them, with what that costs: the share zeroed in
 * the sparsified run itself, KL to the full run and the change in next-token loss (perplexity).
 *
 * Every prompt runs on its own (no padding), so pad positions never enter a share or a mean.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, type HookName, type Hooks, hookName, type Model, RudderError } from '../engine';
import { mergeHooks, readAll } from './batching';
import { compile } from './compile';

export interface SparsityProfile {
  readonly layers: number;
  readonly epsilons: readonly number[];
  /** Share of activations with |x| ≤ ε, row-major [layers, epsilons]. */
  readonly share: Float32Array;
  /** Activations counted per layer (tokens × d_mlp). */
  readonly count: number;
}

/** |mlp_post| of every layer at every position of every prompt, one Float32Array per layer. */
async function magnitudes(model: Model, prompts: readonly (readonly number[])[]): Promise<Float32Array[]> {
  const L = model.spec.nLayers;
  const names: HookName[] = Array.from({ length: L }, (_, l) => hookName('mlp_post', l));
  const parts: Float32Array[][] = names.map(() => []);
  for (const p of prompts) {
    const r = model.run(p, { cache: names, logits: 'none' });
    let abs: tf.Tensor[];
    try {
      abs = tf.tidy(() => names.map((n) => tf.abs(r.cache.get(n)!)));
    } finally {
      disposeResult(r);
    }
    (await readAll(abs)).forEach((a, l) => parts[l]!.push(a as Float32Array));
  }
  return parts.map((ps) => {
    const out = new Float32Array(ps.reduce((s, a) => s + a.length, 0));
    let o = 0;
    for (const a of ps) {
      out.set(a, o);
      o += a.length;
    }
    return out;
  });
}

/** Share of |x| ≤ ε per layer for each ε (non-decreasing in ε by construction of the count). */
export async function sparsityProfile(
  model: Model,
  prompts: readonly (readonly number[])[],
  epsilons: readonly number[],
): Promise<SparsityProfile> {
  if (prompts.length === 0) throw new RudderError('empty-input', 'Sparsity needs at least one prompt.');
  const mags = await magnitudes(model, prompts);
  const E = epsilons.length;
  const share = new Float32Array(mags.length * E);
  mags.forEach((m, l) => {
    const sorted = Float32Array.from(m).sort();
    epsilons.forEach((eps, e) => {
      share[l * E + e] = upperBound(sorted, eps) / sorted.length;
    });
  });
  return { layers: mags.length, epsilons: [...epsilons], share, count: mags[0]!.length };
}

/** CHESS-style thresholds: per layer the q-quantile of |x| over the prompts (q in [0, 1)). */
export async function quantileThresholds(
  model: Model,
  prompts: readonly (readonly number[])[],
  q: number,
): Promise<number[]> {
  if (!(q >= 0 && q < 1)) throw new RudderError('bad-quantile', `The quantile must be in [0, 1), got ${q}.`);
  if (q === 0) return Array.from({ length: model.spec.nLayers }, () => 0);
  const mags = await magnitudes(model, prompts);
  return mags.map((m) => {
    const sorted = Float32Array.from(m).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  });
}

/** Number of entries ≤ x in an ascending array. */
function upperBound(sorted: Float32Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface SparsifyEffect {
  /** Share of MLP activations zeroed in the sparsified runs, per layer and over all layers. */
  readonly zeroedByLayer: Float32Array;
  readonly zeroed: number;
  /** KL(full ‖ sparsified) of the next-token distribution, mean over every position, in nats. */
  readonly kl: number;
  /** Mean next-token loss (nats) of the texts, full and sparsified; perplexity = exp(loss). */
  readonly lossFull: number;
  readonly lossSparse: number;
}

/** Runs each prompt in full and sparsified (thresholds per layer), and compares them. */
export async function sparsifyEffect(
  model: Model,
  prompts: readonly (readonly number[])[],
  thresholds: readonly number[],
): Promise<SparsifyEffect> {
  const L = model.spec.nLayers;
  const c = compile({ kind: 'sparsify', thresholds: [...thresholds] }, { model });
  const zeroed = new Float64Array(L);
  const total = new Float64Array(L);
  let kl = 0;
  let lossFull = 0;
  let lossSparse = 0;
  let positions = 0;
  let predicted = 0;
  try {
    for (const p of prompts) {
      // Counted on each layer's input to the zeroing hook, so the count is that of this very run.
      const counts: tf.Tensor[] = [];
      const counters: Hooks = {};
      thresholds.forEach((eps, l) => {
        if (eps > 0)
          counters[hookName('mlp_post', l)] = (x) => {
            counts[l] = tf.keep(tf.sum(tf.cast(tf.lessEqual(tf.abs(x), eps), 'float32')));
          };
      });
      const full = model.run(p);
      const sparse = model.run(p, { hooks: mergeHooks(counters, c.hooks) });
      let out: tf.Tensor[];
      try {
        out = tf.tidy(() => {
          const lp = tf.logSoftmax(tf.squeeze(full.logits!, [0]));
          const lq = tf.logSoftmax(tf.squeeze(sparse.logits!, [0]));
          const next = tf.tensor1d(
            p.slice(1).map((id, t) => t * model.spec.vocabSize + id),
            'int32',
          );
          const nll = (x: tf.Tensor) => tf.neg(tf.sum(tf.gather(tf.reshape(x, [-1]), next)));
          return [tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq))), nll(lp), nll(lq)];
        });
      } finally {
        disposeResult(full);
        disposeResult(sparse);
      }
      const values = await readAll([...out, ...counts.filter(Boolean)]);
      kl += values[0]![0]!;
      lossFull += values[1]![0]!;
      lossSparse += values[2]![0]!;
      let i = 3;
      thresholds.forEach((eps, l) => {
        if (eps > 0) zeroed[l]! += values[i++]![0]!;
      });
      for (let l = 0; l < L; l++) total[l]! += p.length * model.spec.dMlp;
      positions += p.length;
      predicted += p.length - 1;
    }
  } finally {
    c.dispose();
  }
  const zeroedByLayer = Float32Array.from(zeroed, (z, l) => z / total[l]!);
  return {
    zeroedByLayer,
    zeroed: zeroed.reduce((a, b) => a + b, 0) / total.reduce((a, b) => a + b, 0),
    kl: kl / positions,
    lossFull: lossFull / Math.max(1, predicted),
    lossSparse: lossSparse / Math.max(1, predicted),
  };
}
