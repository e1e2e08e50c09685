/**
 * Reading activations for many prompts at once: the building block of every vector and analysis.
 * Prompts run in left-padded batches; each hook's activation is reduced on the device to the
 * position asked for, so one small array per batch and hook crosses back to JavaScript.
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeResult, type HookName, type Hooks, leftPadBatch, type Model } from '../engine';

/**
 * Which token position to read: the last token, a fixed index (negative counts from the end, so
 * -2 is the answer letter of "(A)"), the mean over the prompt's tokens, or every position.
 */
export type Position =
  | { readonly kind: 'last' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'mean' }
  | { readonly kind: 'all' };

export interface CollectOptions {
  /** Prompts per forward pass (memory grows with batch × length). Default 16. */
  readonly batchSize?: number;
  /** Interventions active while reading (e.g. read the residual under an ablation). */
  readonly hooks?: Hooks;
  /** Called after each batch with prompts done / total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * For each hook, one activation per prompt: Float32Array [width] for a single position, or
 * [length × width] (row-major, the prompt's own tokens only) for `all`.
 */
export function collectActivations(
  model: Model,
  prompts: readonly (readonly number[])[],
  hooks: readonly HookName[],
  position: Position,
  opts: CollectOptions = {},
): Map<HookName, Float32Array[]> {
  const out = new Map<HookName, Float32Array[]>(hooks.map((h) => [h, []]));
  const batchSize = opts.batchSize ?? 16;
  for (let start = 0; start < prompts.length; start += batchSize) {
    const { rows, leftPad, lengths } = leftPadBatch(prompts.slice(start, start + batchSize));
    const result = model.run(rows, { cache: hooks, logits: 'none', hooks: opts.hooks, leftPad });
    try {
      for (const hook of hooks) {
        const act = result.cache.get(hook)!;
        for (const row of readPositions(act, lengths, leftPad, position)) out.get(hook)!.push(row);
      }
    } finally {
      disposeResult(result);
    }
    opts.onProgress?.(Math.min(start + batchSize, prompts.length), prompts.length);
  }
  return out;
}

/** act: [batch, pos, ...rest] → one Float32Array per row (rest flattened). */
function readPositions(
  act: tf.Tensor,
  lengths: readonly number[],
  leftPad: readonly number[],
  position: Position,
): Float32Array[] {
  const [batch, pos] = act.shape as [number, number];
  const width = act.size / (batch * pos);
  if (position.kind === 'all') {
    const data = act.dataSync() as Float32Array;
    return leftPad.map((pad, b) => data.slice((b * pos + pad) * width, (b + 1) * pos * width));
  }
  const reduced = tf.tidy(() => {
    const flat = tf.reshape(act, [batch, pos, width]);
    if (position.kind === 'last')
      return tf.reshape(tf.slice(flat, [0, pos - 1, 0], [-1, 1, -1]), [batch, width]);
    if (position.kind === 'mean') {
      const mask = new Float32Array(batch * pos);
      lengths.forEach((n, b) => mask.fill(1 / n, b * pos + leftPad[b]!, (b + 1) * pos));
      return tf.sum(tf.mul(flat, tf.tensor3d(mask, [batch, pos, 1])), 1);
    }
    const idx = lengths.map((n, b) => {
      const i = position.index < 0 ? n + position.index : position.index;
      if (i < 0 || i >= n) throw new RangeError(`Position ${position.index} is outside a ${n}-token prompt.`);
      return b * pos + leftPad[b]! + i;
    });
    return tf.gather(tf.reshape(flat, [batch * pos, width]), tf.tensor1d(idx, 'int32'));
  });
  const data = reduced.dataSync() as Float32Array;
  reduced.dispose();
  return lengths.map((_, b) => data.slice(b * width, (b + 1) * width));
}
