/**
 * Slice, SplitV, Unpack and GatherV2 on tfjs-backend-wasm after Rudder replaces them
 * (src/engine/kernels/wasm-copy.ts): the same values as tfjs's CPU backend for boxes that are
 * contiguous, strided on one axis or on several, and gathers along every axis, for every dtype
 * the engine uses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureKernels } from '../../../../src/engine/kernels';
import { useBackend } from '../../../support/backend';
import { expectNoLeaks } from '../../../support/leaks';

const SHAPE = [3, 4, 5, 6];
const values = (dtype: 'float32' | 'int32' | 'bool') =>
  Array.from({ length: 360 }, (_, i) =>
    dtype === 'bool' ? i % 3 === 0 : dtype === 'int32' ? i - 100 : i * 0.5 - 7,
  );

async function onBoth<T>(
  dtype: 'float32' | 'int32' | 'bool',
  fn: (x: tf.Tensor) => tf.Tensor | tf.Tensor[],
): Promise<[T, T]> {
  const out: T[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    ensureKernels();
    const x = tf.tensor(values(dtype) as number[], SHAPE, dtype);
    const y = fn(x);
    out.push((Array.isArray(y) ? y.map((t) => [t.shape, t.arraySync()]) : [y.shape, y.arraySync()]) as T);
    tf.dispose([x, y]);
  }
  return out as [T, T];
}

describe('wasm Slice, SplitV, Unpack and GatherV2 replaced by heap copies', () => {
  beforeAll(async () => {
    await useBackend('wasm');
    ensureKernels();
  });

  it('replaces the four kernels on the wasm backend', () => {
    for (const name of ['Slice', 'SplitV', 'Unpack', 'GatherV2'])
      expect((tf.getKernel(name, 'wasm') as { rudder?: boolean }).rudder, name).toBe(true);
  });

  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    it(`slices ${dtype} boxes like the CPU backend`, async () => {
      for (const [begin, size] of [
        [
          [1, 0, 0, 0],
          [1, 4, 5, 6],
        ], // contiguous
        [
          [0, 1, 0, 0],
          [3, 2, 5, 6],
        ], // strided on the first axis
        [
          [0, 1, 2, 3],
          [2, 3, 2, 3],
        ], // strided on every axis
        [
          [2, 3, 4, 5],
          [1, 1, 1, 1],
        ],
        [
          [0, 0, 0, 0],
          [3, 4, 5, 0],
        ], // empty
      ]) {
        const [want, got] = await onBoth(dtype, (x) => tf.slice(x, begin!, size!));
        expect(got).toEqual(want);
      }
    });

    it(`splits and unstacks ${dtype} tensors like the CPU backend`, async () => {
      for (const axis of [0, 1, 3]) {
        const [a, b] = await onBoth(dtype, (x) => tf.unstack(x, axis));
        expect(b).toEqual(a);
      }
      const [c, d] = await onBoth(dtype, (x) => tf.split(x, [1, 3, 2], 3));
      expect(d).toEqual(c);
      const [e, f] = await onBoth(dtype, (x) => tf.split(x, 2, 1));
      expect(f).toEqual(e);
    });

    it(`gathers ${dtype} along every axis like the CPU backend, repeats and 2-D indices included`, async () => {
      for (const axis of [0, 1, 2, 3]) {
        const ids = [
          [2, 0],
          [2, 1],
        ].map((row) => row.map((i) => Math.min(i, SHAPE[axis]! - 1)));
        const [a, b] = await onBoth(dtype, (x) => tf.gather(x, tf.tensor2d(ids, [2, 2], 'int32'), axis));
        expect(b).toEqual(a);
      }
      const [c, d] = await onBoth(dtype, (x) => tf.gather(x, tf.tensor1d([], 'int32'), 1));
      expect(d).toEqual(c);
    });
  }

  it('refuses a gather index outside the axis, as the CPU backend does', async () => {
    await useBackend('wasm');
    const x = tf.ones([4, 3]);
    const ids = tf.tensor1d([1, 4], 'int32');
    expect(() => tf.gather(x, ids)).toThrow(/index value 4 is not in \[0, 3\]/);
    tf.dispose([x, ids]);
  });

  it('leaves no tensors behind', async () => {
    await useBackend('wasm');
    const x = tf.ones(SHAPE);
    await expectNoLeaks(() => {
      const ids = tf.tensor1d([0, 2], 'int32');
      tf.dispose([
        tf.slice(x, [1, 1, 1, 1], [2, 2, 2, 2]),
        ...tf.split(x, 2, 1),
        ...tf.unstack(x, 2),
        tf.gather(x, ids, 1),
        ids,
      ]);
    });
    x.dispose();
  });
});
