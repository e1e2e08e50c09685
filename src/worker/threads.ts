/**
 * Threads for tfjs-backend-wasm's multi-threaded build. tfjs's own default is half the logical
 * cores (it assumes hyper-threading), which on a two-core machine means one thread. The model
 * runs in a worker while the page's main thread mostly idles, so use every core, up to the
 * eight workers the build preallocates.
 */
export function wasmThreadCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(cores, 8));
}

/** Call before the wasm backend starts (it reads the count once, at initialisation). */
export async function configureWasmThreads(count = wasmThreadCount()): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(count);
}
