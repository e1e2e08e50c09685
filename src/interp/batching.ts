/**
 * What the analysis methods share about running several prompts at once (left padding is the
 * engine's leftPadBatch): reading one position of each row on the device, merging hook sets, and reading small results back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type HookFn, type HookName, type Hooks, type PaddedBatch, RudderError } from '../engine';

export { leftPadBatch, type PaddedBatch } from '../engine';

/**
 * Flat row indices (b·width + column) of one position in each padded row: `index` counts from each
 * prompt's first token, or from its end when negative (-1 = last token).
 */
export function positionIndices(batch: PaddedBatch, index: number): Int32Array {
  return Int32Array.from(batch.lengths, (n, b) => {
    const i = index < 0 ? n + index : index;
    if (i < 0 || i >= n)
      throw new RudderError('bad-position', `Position ${index} is outside a ${n}-token prompt.`);
    return b * batch.width + batch.leftPad[b]! + i;
  });
}

/** x: [batch, pos, ...rest] → [batch, ...rest], the row of each batch entry at `flatIdx` (in tidy). */
export function gatherPositions(x: tf.Tensor, flatIdx: Int32Array): tf.Tensor {
  const [batch, pos, ...rest] = x.shape;
  return tf.gather(tf.reshape(x, [batch! * pos!, ...rest]), tf.tensor1d(flatIdx, 'int32'));
}

/** Several hook sets as one: on a shared point, earlier sets run first. */
export function mergeHooks(...sets: (Hooks | undefined)[]): Hooks {
  const out: Partial<Record<HookName, HookFn[]>> = {};
  for (const set of sets) {
    if (!set) continue;
    for (const [name, fns] of Object.entries(set) as [HookName, HookFn | readonly HookFn[]][]) {
      out[name] = [...(out[name] ?? []), ...(Array.isArray(fns) ? fns : [fns as HookFn])];
    }
  }
  return out;
}

/** Reads tensors back as one batch of downloads (asynchronous: WebGPU has no cheap sync read) and disposes them. */
export async function readAll(tensors: readonly tf.Tensor[]): Promise<(Float32Array | Int32Array)[]> {
  try {
    return (await Promise.all(tensors.map((t) => t.data()))) as (Float32Array | Int32Array)[];
  } finally {
    for (const t of tensors) t.dispose();
  }
}

/** Reads a float tensor back and disposes it. */
export async function readFloats(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

/** Pearson correlation of two equally long arrays (NaN when either is constant). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}
