/** Shared helpers for the steering tests: deterministic random directions and logits. */
import { disposeResult, type Hooks, type Model } from '../../src/engine';
import type { VectorHook } from '../../src/interp/recipe';
import type { SteeringVector } from '../../src/interp/vector';

export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

export function randomVector(
  model: Model,
  layers: readonly number[],
  opts: { hook?: VectorHook; seed?: number; rows?: number; scale?: number } = {},
): SteeringVector {
  const width = model.spec.dModel;
  const rows = opts.rows ?? 1;
  const data: Record<number, Float32Array> = {};
  layers.forEach((l, i) => {
    data[l] = randomArray(rows * width, (opts.seed ?? 1) * 101 + i, opts.scale ?? 1);
  });
  return { modelId: model.id, hook: opts.hook ?? 'resid_post', width, rows, layers: data };
}

/** Logits [pos][vocab] of one prompt (row 0). */
export function logits(model: Model, tokens: number[], hooks?: Hooks): Float32Array[] {
  const r = model.run(tokens, { hooks });
  const [, pos, vocab] = r.logits!.shape;
  const data = r.logits!.dataSync() as Float32Array;
  disposeResult(r);
  return Array.from({ length: pos }, (_, t) => data.slice(t * vocab, (t + 1) * vocab));
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function bitEqual(a: Float32Array, b: Float32Array): boolean {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
