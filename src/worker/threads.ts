/**
 * Threads for tfjs-backend-wasm's multi-threaded build. tfjs 4.22 caps its XNNPACK thread pool
 * at half of navigator.hardwareConcurrency (it assumes two hyper-threads per core), read once
 * when the wasm module starts, and setThreadsCount cannot raise it: on a two-core machine that
 * is one thread, and the threaded build brings nothing. To get more, hardwareConcurrency reads
 * twice the wanted count for the moment the module starts; then the real value is restored.
 */

/**
 * The model worker's thread count: tfjs's choice (half the logical cores), but at least two where
 * there are two cores. The model runs in a worker, so the page's own thread is mostly idle and
 * the second core would otherwise do nothing. At most the eight workers the build preallocates.
 * Only the ops left to tfjs (XNNPACK's pool) use the extra threads: Rudder's own kernels
 * (matmul, attention, norms) run on the worker's thread (docs/ENGINE.md, Threads).
 */
export function wasmThreadCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(Math.max(Math.floor(cores / 2), Math.min(cores, 2)), 8));
}

/** A requested count (`?threads=N`) within what the build can start: 1 to 8. */
export function clampThreads(count: number): number {
  return Math.max(1, Math.min(Math.floor(count), 8));
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
