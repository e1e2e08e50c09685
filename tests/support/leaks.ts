import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `fn` and asserts that the tensor count is back to where it started. */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors, 'tensors leaked').toBe(before);
  return out;
}
