/**
 * Threads for tfjs-backend-wasm's multi-threaded build. tfjs 4.22 caps its XNNPACK thread pool
 * at half of navigator.hardwareConcurrency (it assumes two hyper-threads per core), read once
 * when the wasm module starts, and setThreadsCount cannot raise it: on a two-core machine that
 * is one thread, and the threaded build brings nothing. To get more, hardwareConcurrency reads
 * twice the wanted count for the moment the module starts; then the real value is restored.
 */

/**
 * tfjs's choice (half the logical cores), but at least two where there are two cores: the model
 * runs in a worker, so the page's own thread is mostly idle. At most the eight workers the
 * build preallocates.
 */
export function wasmThreadCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(Math.max(Math.floor(cores / 2), Math.min(cores, 2)), 8));
}

/**
 * The model worker's count: tfjs's own choice (half the logical cores, so one on a two-core
 * machine). On two cores a second thread has no core to itself (the page's thread and the
 * browser need one), and XNNPACK's pool then spends its time waiting for it: on the two-core
 * test machine under load the llama organism decoded 21 tokens/s with two threads and 103 with
 * one (`npm run bench:ui`, slider release to 40 steered tokens 2.0 s vs 0.45 s). From four cores
 * on, the pool gets two or more threads.
 */
export function workerThreadCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(Math.floor(cores / 2), 8));
}

/**
 * Runs `start` (which must start the wasm backend) with the thread count raised to `count`.
 * Other backends are unaffected: only the wasm module reads the value.
 */
export async function withWasmThreads<T>(start: () => Promise<T>, count = wasmThreadCount()): Promise<T> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(count);
  const nav = globalThis.navigator as Navigator | undefined;
  let patched = false;
  if (nav && count > Math.floor(nav.hardwareConcurrency / 2)) {
    try {
      Object.defineProperty(nav, 'hardwareConcurrency', { value: count * 2, configurable: true });
      patched = true;
    } catch {
      // A navigator that refuses the override keeps tfjs's default.
    }
  }
  try {
    return await start();
  } finally {
    // Deleting the own property uncovers the prototype's real getter again.
    if (patched) delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency;
  }
}
