import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';

/** The backends the Node tests run on (DESIGN.md: WebAssembly and CPU). */
export const NODE_BACKENDS = ['wasm', 'cpu'] as const;

export async function useBackend(name: (typeof NODE_BACKENDS)[number]): Promise<void> {
  if (tf.getBackend() === name) return;
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
}
