/**
 * How many threads the model's worker runs on WebAssembly. They are Rudder's own threads: the
 * calling thread and helper workers that share its kernels (src/engine/kernels/kernel-threads.ts).
 * tfjs's own XNNPACK pool stays at one thread (selectBackend): the ops left to it are small, and
 * waking its pool for each of them cost the organisms half their decode speed (docs/ENGINE.md).
 */

/**
 * The default: two where there are two cores (the model runs in a worker, so the page's own thread
 * is mostly idle and the second core would otherwise do nothing), half the logical cores from four
 * on (they are usually hyper-threads), at most 8.
 */
export function wasmThreadCount(): number {
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(Math.max(Math.floor(cores / 2), Math.min(cores, 2)), 8));
}

/** A requested count (`?threads=N`) within 1 to 8. */
export function clampThreads(count: number): number {
  return Math.max(1, Math.min(Math.floor(count), 8));
}
