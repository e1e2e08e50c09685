/**
 * Fails on any synchronous tensor read while `fn` runs. In the model worker on WebGPU such a read
 * returns zeros and loses the device for every later call (see src/interp/activations.ts), so the
 * worker's paths must read with `await data()`; the WebAssembly backend of the tests would not
 * notice otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { vi } from 'vitest';

export async function withoutSyncReads<T>(fn: () => Promise<T>): Promise<T> {
  const spies = (['dataSync', 'arraySync', 'bufferSync'] as const).map((method) =>
    vi.spyOn(tf.Tensor.prototype, method).mockImplementation(() => {
      throw new Error(`${method}() on a path the worker runs`);
    }),
  );
  try {
    return await fn();
  } finally {
    for (const s of spies) s.mockRestore();
  }
}
