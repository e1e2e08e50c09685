/**
 * The Web Worker's entry: the model lives here, so the page never blocks on tensor work. Every
 * method of the table is exposed in one wrapper: failures become plain `{ code, message }`
 * objects (Comlink rethrows a thrown non-Error value as it is, while an Error would lose its
 * `code`), and a callback (a Comlink proxy, which holds a MessagePort open) is released once its
 * call has settled.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as Comlink from 'comlink';
import { METHODS, type RudderWorker } from './api';
import { watchGpuDevice } from './device-lost';
import { toWorkerError } from './errors';
import { createHost } from './host';
import { WASM_PATHS } from './wasm-paths';

const host = createHost({
  wasmPaths: WASM_PATHS,
  onBackend: (choice) => choice.name === 'webgpu' && watchGpuDevice(),
});

const api: Record<string, (...args: unknown[]) => unknown> = {};
for (const [name, kind] of Object.entries(METHODS)) {
  const fn = host[name as keyof RudderWorker] as (...args: unknown[]) => Promise<unknown>;
  api[name] = async (...args: unknown[]) => {
    try {
      return await fn(...args);
    } catch (e) {
      throw toWorkerError(e);
    } finally {
      const callback = kind === 'callback' ? args.at(-1) : undefined;
      (callback as { [Comlink.releaseProxy]?: () => void } | undefined)?.[Comlink.releaseProxy]?.();
    }
  };
}

Comlink.expose(api);

// For soak runs (Playwright evaluates it in this worker): the tensors held and the wasm heap's size.
(self as unknown as { rudderMemory?: () => unknown }).rudderMemory = () => ({
  tensors: tf.memory().numTensors,
  tensorBytes: tf.memory().numBytes,
  wasmHeapBytes: (tf.backend() as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length,
});
