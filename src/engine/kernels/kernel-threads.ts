/**
 * Rudder's native kernels on more than one thread. tfjs's pthreads run only tfjs's own module, so
 * the threaded build's second core sat idle while RudderMatMul (90% of a prompt pass) ran on the
 * model's worker alone. Here helper workers instantiate the same kernels module on tfjs's shared
 * memory; a ranged kernel call (the matmul's column panels, attention's (batch, head) rows, the
 * per-head results' heads) is cut into chunks that the calling thread and the helpers claim from
 * one counter, so a helper that wakes late only takes fewer chunks and the caller never waits for
 * one that has not started. Every output element is computed by the same code on one thread
 * whichever thread takes its chunk, so results are bit-identical to one thread's.
 *
 * The job sits in a small control block that this module allocates in tfjs's heap once:
 *   i32[SEQ]    the job's epoch (helpers sleep in Atomics.wait on it)
 *   i32[CLAIM]  epoch << 16 | next unclaimed chunk (compare-and-swap, so a helper still working
 *               from an older job's arguments can never take a chunk of a newer one)
 *   i32[DONE]   chunks finished; the caller returns when all are
 *   i32[FN], i32[RANGE_AT], i32[NARGS], i32[TOTAL], i32[CHUNKS]   which kernel, where its range
 *               pair sits among its arguments, how many range units, how many chunks
 *   f64[ARGS..] the kernel's arguments (pointers, sizes and float32 attributes, all exact as f64)
 * The caller spins rather than sleeps while the last chunks finish (a browser's main thread may not
 * call Atomics.wait), which is one chunk's time at most.
 */

import type { WasmBackend } from './wasm-heap';

/** Kernels that take a range [r0, r1) as two consecutive arguments and can be split along it. */
export const RANGED = ['matmul', 'attn_pattern', 'attn_mix', 'head_results', 'lens_stats'] as const;
export type RangedKernel = (typeof RANGED)[number];

const LAYOUT = {
  SEQ: 0,
  CLAIM: 1,
  DONE: 2,
  FN: 3,
  RANGE_AT: 4,
  NARGS: 5,
  TOTAL: 6,
  CHUNKS: 7,
  ARGS_BYTE: 64,
};
type Layout = typeof LAYOUT;
const CONTROL_BYTES = LAYOUT.ARGS_BYTE + 8 * 16;

/** Below this many multiply-adds a call runs on the calling thread: waking a helper costs more. */
const MIN_SHARED_WORK = 1 << 20;
/**
 * Chunks per thread: enough that a helper that wakes late or is preempted only shifts a small
 * share. Nearly free: the matmul walks its panels outermost, so a chunk re-reads nothing.
 */
const CHUNKS_PER_THREAD = 8;

type KernelFn = (...args: number[]) => void;

/**
 * Claims and runs chunks of the current job until none are left (the caller's and every helper's
 * loop). Self-contained: the helpers receive it as source text.
 */
function drain(i32: Int32Array, f64: Float64Array, fns: KernelFn[], L: Layout, epoch: number): void {
  const fn = fns[i32[L.FN]!]!;
  const at = i32[L.RANGE_AT]!;
  const total = i32[L.TOTAL]!;
  const chunks = i32[L.CHUNKS]!;
  const args = Array.from(f64.subarray(0, i32[L.NARGS]!));
  for (;;) {
    const word = Atomics.load(i32, L.CLAIM);
    if (word >>> 16 !== epoch) return;
    const chunk = word & 0xffff;
    if (chunk >= chunks) return;
    if (Atomics.compareExchange(i32, L.CLAIM, word, word + 1) !== word) continue;
    args[at] = Math.floor((chunk * total) / chunks);
    args[at + 1] = Math.floor(((chunk + 1) * total) / chunks);
    fn(...args);
    Atomics.add(i32, L.DONE, 1);
  }
}

/** A helper worker's whole program (sent as source text with `drain`). */
function helperMain(scope: DedicatedWorkerGlobalScope, drainJob: typeof drain): void {
  scope.onmessage = (e: MessageEvent) => {
    const { module, memory, control, names, layout } = e.data as {
      module: WebAssembly.Module;
      memory: WebAssembly.Memory;
      control: number;
      names: string[];
      layout: Layout;
    };
    const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, KernelFn>;
    const fns = names.map((n) => exports[n]!);
    const i32 = new Int32Array(memory.buffer, control, layout.ARGS_BYTE / 4);
    const f64 = new Float64Array(memory.buffer, control + layout.ARGS_BYTE, 16);
    // Read before saying ready, so that no job posted afterwards can look already seen.
    let seen = Atomics.load(i32, layout.SEQ);
    scope.postMessage('ready');
    for (;;) {
      Atomics.wait(i32, layout.SEQ, seen);
      seen = Atomics.load(i32, layout.SEQ);
      drainJob(i32, f64, fns, layout, seen);
    }
  };
}

export interface KernelThreads {
  /** Threads that run a shared call: the caller and its helpers. */
  readonly threads: number;
  /** Calls shared with the helpers so far (for tests and the benchmark). */
  readonly sharedCalls: number;
  /**
   * Runs `name(...args)` over the range [0, total) at args[rangeAt], args[rangeAt + 1], split
   * between the threads when `total · workPerUnit` multiply-adds make it worth it.
   */
  run(name: RangedKernel, args: number[], rangeAt: number, total: number, workPerUnit: number): void;
}

/** Where the control block is allocated: tfjs-backend-wasm's heap. */
type Heap = Pick<WasmBackend['wasm'], '_malloc'>;

/**
 * The calling thread alone: what runs where the memory is not shared, there is no Worker (Node),
 * one thread was asked for, or the helpers failed to start.
 */
export function singleThread(exports: Record<RangedKernel, KernelFn>): KernelThreads {
  return {
    threads: 1,
    sharedCalls: 0,
    run(name, args, rangeAt, total) {
      args[rangeAt] = 0;
      args[rangeAt + 1] = total;
      exports[name](...args);
    },
  };
}

/**
 * Starts `helpers` workers on `memory` and resolves when all are running; falls back to the calling
 * thread alone if any cannot start within a few seconds (a strict Content-Security-Policy, no
 * nested workers).
 */
export async function startKernelThreads(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
  heap: Heap,
  exports: Record<RangedKernel, KernelFn>,
  helpers: number,
): Promise<KernelThreads> {
  const alone = singleThread(exports);
  if (helpers < 1 || typeof Worker === 'undefined' || !(memory.buffer instanceof SharedArrayBuffer))
    return alone;
  const control = heap._malloc(CONTROL_BYTES) >>> 0;
  const i32 = new Int32Array(memory.buffer, control, LAYOUT.ARGS_BYTE / 4);
  const f64 = new Float64Array(memory.buffer, control + LAYOUT.ARGS_BYTE, 16);
  i32.fill(0);
  const source = `(${helperMain.toString()})(self, ${drain.toString()});`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: helpers }, () => {
        const worker = new Worker(url);
        workers.push(worker);
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('helper did not start')), 5000);
          worker.onmessage = () => {
            clearTimeout(timer);
            resolve();
          };
          worker.onerror = (e) => {
            clearTimeout(timer);
            reject(new Error(e.message));
          };
          worker.postMessage({ module, memory, control, names: [...RANGED], layout: LAYOUT });
        });
      }),
    );
  } catch {
    for (const w of workers) w.terminate();
    return alone;
  } finally {
    URL.revokeObjectURL(url);
  }
  const fns = RANGED.map((n) => exports[n]);
  let epoch = 0;
  let sharedCalls = 0;
  return {
    threads: helpers + 1,
    get sharedCalls() {
      return sharedCalls;
    },
    run(name, args, rangeAt, total, workPerUnit) {
      if (total < 2 || total * workPerUnit < MIN_SHARED_WORK) return alone.run(name, args, rangeAt, total, 0);
      const chunks = Math.min(total, (helpers + 1) * CHUNKS_PER_THREAD);
      epoch = (epoch + 1) & 0x7fff;
      // Closed under the new epoch first: a helper still holding the last job's arguments can no
      // longer claim anything while they are overwritten.
      Atomics.store(i32, LAYOUT.CLAIM, (epoch << 16) | 0xffff);
      f64.set(args);
      i32[LAYOUT.FN] = RANGED.indexOf(name);
      i32[LAYOUT.RANGE_AT] = rangeAt;
      i32[LAYOUT.NARGS] = args.length;
      i32[LAYOUT.TOTAL] = total;
      i32[LAYOUT.CHUNKS] = chunks;
      Atomics.store(i32, LAYOUT.DONE, 0);
      Atomics.store(i32, LAYOUT.CLAIM, epoch << 16);
      Atomics.store(i32, LAYOUT.SEQ, epoch);
      Atomics.notify(i32, LAYOUT.SEQ);
      drain(i32, f64, fns, LAYOUT, epoch);
      while (Atomics.load(i32, LAYOUT.DONE) < chunks) {
        // The helpers are finishing the chunks they took.
      }
      sharedCalls++;
    },
  };
}
