/**
 * Reading activations for many prompts at once: the building block of every vector and analysis.
 * Prompts run in left-padded batches; each hook's activation is reduced on the device to the
 * position asked for, so one small array per batch and hook crosses back to JavaScript.
 *
 * The read is asynchronous (`await data()`) on purpose, on every backend: on WebGPU tfjs (4.22)
 * emulates a synchronous read by drawing the buffer through an OffscreenCanvas 'webgpu' context,
 * and inside the model worker on Chromium's SwiftShader adapter that read returns zeros (a
 * contrast vector of norm 0) and leaves the GPUDevice unusable ("A valid external Instance
 * reference no longer exists", then "createBuffer failed") for every later call, generation
 * included.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  CancelledError,
  disposeResult,
  type HookName,
  type Hooks,
  leftPadBatch,
  type Model,
  RudderError,
  yieldToEventLoop,
} from '../engine';

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
  /**
   * Checked before each batch, after yielding to the event loop (so that a cancel message can
   * arrive); once aborted, the read stops with CancelledError.
   */
  readonly signal?: AbortSignal;
}

type Activations = Map<HookName, Float32Array[]>;

/**
 * For each hook, one activation per prompt: Float32Array [width] for a single position, or
 * [length × width] (row-major, the prompt's own tokens only) for `all`.
 */
export async function collectActivations(
  model: Model,
  prompts: readonly (readonly number[])[],
  hooks: readonly HookName[],
  position: Position,
  opts: CollectOptions = {},
): Promise<Activations> {
  const out: Activations = new Map(hooks.map((h) => [h, []]));
  const batchSize = opts.batchSize ?? 16;
  for (let start = 0; start < prompts.length; start += batchSize) {
    if (opts.signal) {
      await yieldToEventLoop();
      if (opts.signal.aborted) throw new CancelledError();
    }
    const batch = reduceBatch(model, prompts.slice(start, start + batchSize), hooks, position, opts);
    try {
      const data = await Promise.all(batch.map((r) => r.tensor.data()));
      hooks.forEach((h, i) => out.get(h)!.push(...batch[i]!.split(data[i] as Float32Array)));
    } finally {
      tf.dispose(batch.map((r) => r.tensor));
    }
    opts.onProgress?.(Math.min(start + batchSize, prompts.length), prompts.length);
  }
  return out;
}

/**
 * Runs one batch and reduces each hook's activation on the device to the rows asked for: one
 * tensor per hook (the caller reads and disposes it) and how to cut its array into rows.
 */
function reduceBatch(
  model: Model,
  prompts: readonly (readonly number[])[],
  hooks: readonly HookName[],
  position: Position,
  opts: CollectOptions,
): { tensor: tf.Tensor; split: (data: Float32Array) => Float32Array[] }[] {
  const { rows, leftPad, lengths } = leftPadBatch(prompts);
  const result = model.run(rows, { cache: hooks, logits: 'none', hooks: opts.hooks, leftPad });
  const out: { tensor: tf.Tensor; split: (data: Float32Array) => Float32Array[] }[] = [];
  try {
    for (const hook of hooks) {
      const act = result.cache.get(hook)!;
      const [batch, pos] = act.shape as [number, number];
      const width = act.size / (batch * pos);
      const split =
        position.kind === 'all'
          ? (data: Float32Array) =>
              leftPad.map((pad, b) => data.slice((b * pos + pad) * width, (b + 1) * pos * width))
          : (data: Float32Array) => lengths.map((_, b) => data.slice(b * width, (b + 1) * width));
      out.push({ tensor: reducePosition(act, lengths, leftPad, position), split });
    }
    return out;
  } catch (e) {
    tf.dispose(out.map((r) => r.tensor));
    throw e;
  } finally {
    disposeResult(result);
  }
}

/** act: [batch, pos, ...rest] → [batch, width] at the position (a copy of act for `all`). */
function reducePosition(
  act: tf.Tensor,
  lengths: readonly number[],
  leftPad: readonly number[],
  position: Position,
): tf.Tensor {
  const [batch, pos] = act.shape as [number, number];
  const width = act.size / (batch * pos);
  return tf.tidy(() => {
    // A copy (not act itself), so the result outlives the run's cache, which is disposed now.
    if (position.kind === 'all') return tf.reshape(act, [batch, pos * width]).clone();
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
      if (i < 0 || i >= n)
        throw new RudderError(
          'bad-position',
          `Position ${position.index} is outside a ${n}-token prompt: choose an index from ${-n} to ${n - 1}.`,
        );
      return b * pos + leftPad[b]! + i;
    });
    return tf.gather(tf.reshape(flat, [batch * pos, width]), tf.tensor1d(idx, 'int32'));
  });
}
