/**
 * Layer activity (METHODS.md §14, "Void in Language Models"): how much each block changes the
 * residual stream at each token, a[l,t] = ‖resid_post[l][t] − resid_pre[l][t]‖₂ / ‖resid_pre[l][t]‖₂,
 * which (layer, token) cells are idle (a < τ), and what skipping them costs.
 *
 * Skipping replaces block l's output by its input at the idle tokens, in a run where earlier
 * skips already changed that input. Only the residual update is skipped: the block still computes
 * its keys and values at those tokens, so later tokens attend to them as before. The share of
 * compute skipped counts (layer, token) block updates.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, type HookName, type Hooks, hookName, type Model } from '../engine';
import { readAll } from './batching';

export interface LayerActivity {
  readonly layers: number;
  readonly positions: number;
  /** a[l,t], row-major [layers, positions]. */
  readonly activity: Float32Array;
}

/** a[l,t] of one prompt, from its cached resid_pre and resid_post (one forward pass). */
export async function layerActivity(
  model: Model,
  tokens: readonly number[],
  opts: { readonly hooks?: Hooks } = {},
): Promise<LayerActivity> {
  const L = model.spec.nLayers;
  const pre = (l: number) => hookName('resid_pre', l);
  const post = (l: number) => hookName('resid_post', l);
  const names: HookName[] = [];
  for (let l = 0; l < L; l++) names.push(pre(l), post(l));
  const r = model.run(tokens, { cache: names, logits: 'none', hooks: opts.hooks });
  let out: tf.Tensor;
  try {
    out = tf.tidy(() => {
      const rows = [];
      for (let l = 0; l < L; l++) rows.push(relativeChange(r.cache.get(pre(l))!, r.cache.get(post(l))!));
      return tf.stack(rows); // [L, pos]
    });
  } finally {
    disposeResult(r);
  }
  const [activity] = await readAll([out]);
  return { layers: L, positions: tokens.length, activity: activity as Float32Array };
}

/** ‖post − pre‖ / ‖pre‖ per position of a [1, pos, d] pair, as [pos]. Call inside tidy. */
export function relativeChange(pre: tf.Tensor, post: tf.Tensor): tf.Tensor1D {
  const n = (x: tf.Tensor) => tf.sqrt(tf.sum(tf.square(x), -1));
  return tf.reshape(tf.div(n(tf.sub(post, pre)), n(pre)), [-1]) as tf.Tensor1D;
}

/** Which cells are idle: a[l,t] < τ, row-major [layers, positions]. */
export function idleCells(a: LayerActivity, tau: number): Uint8Array {
  return Uint8Array.from(a.activity, (x) => (x < tau ? 1 : 0));
}

/**
 * Hooks that skip block l at the marked tokens of a one-prompt run: resid_post[l] ← resid_pre[l]
 * there. No hook at all where a layer has nothing marked, so an empty mask is the unhooked run.
 * The mask covers the prompt's positions (the prompt pass); later calls run unskipped.
 */
export function skipHooks(mask: Uint8Array, layers: number, positions: number): Hooks {
  const hooks: Hooks = {};
  for (let l = 0; l < layers; l++) {
    const row = mask.subarray(l * positions, (l + 1) * positions);
    if (!row.some((m) => m === 1)) continue;
    let input: tf.Tensor | undefined;
    // The block's input is read at resid_pre in the same call; the forward pass's tidy keeps it alive.
    hooks[hookName('resid_pre', l)] = (x, ctx) => {
      input = ctx.step === 0 ? x : undefined;
    };
    hooks[hookName('resid_post', l)] = (x) => {
      if (!input) return undefined;
      const keep = tf.tensor3d(row, [1, positions, 1], 'bool');
      return tf.where(keep, input, x);
    };
  }
  return hooks;
}

export interface SkipResult {
  /** Share of the (layer, token) block updates skipped. */
  readonly skipped: number;
  /** KL(full ‖ skipped) of the next-token distribution, mean over positions, in nats. */
  readonly klMean: number;
  /** The same at the last position (the next token's prediction). */
  readonly klLast: number;
  /** Whether the greedy next token is the same. */
  readonly sameTop: boolean;
}

/** Runs the prompt in full and with the marked cells skipped, and compares them. */
export async function skipIdle(
  model: Model,
  tokens: readonly number[],
  mask: Uint8Array,
): Promise<SkipResult> {
  const L = model.spec.nLayers;
  const T = tokens.length;
  const full = model.run(tokens);
  const skipped = model.run(tokens, { hooks: skipHooks(mask, L, T) });
  let out: tf.Tensor[];
  try {
    out = tf.tidy(() => {
      const lp = tf.logSoftmax(tf.squeeze(full.logits!, [0]));
      const lq = tf.logSoftmax(tf.squeeze(skipped.logits!, [0]));
      const kl = tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq)), 1); // [T]
      return [kl, tf.argMax(lp, 1), tf.argMax(lq, 1)];
    });
  } finally {
    disposeResult(full);
    disposeResult(skipped);
  }
  const [kl, topFull, topSkip] = await readAll(out);
  const k = kl as Float32Array;
  return {
    skipped: mask.reduce((s, m) => s + m, 0) / mask.length,
    klMean: k.reduce((s, x) => s + Math.max(0, x), 0) / T,
    klLast: Math.max(0, k[T - 1]!),
    sameTop: topFull![T - 1] === topSkip![T - 1],
  };
}
