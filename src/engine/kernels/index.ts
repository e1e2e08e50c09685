/**
 * Rudder's own kernels, registered with tfjs's kernel registry next to (or in place of) a
 * backend's: on WebAssembly, heap-to-heap Slice/SplitV/Unpack (wasm-copy.ts) and the block's fused
 * operations (native.ts, used through ops.ts). The forward pass calls `ensureKernels()` first.
 */
import * as tf from '@tensorflow/tfjs-core';
import { prepareNativeKernels } from './native';
import { registerWasmCopyKernels } from './wasm-copy';

let wasmCopies = false;

/** Registers the active backend's kernel replacements (once; cheap afterwards). */
export function ensureKernels(): void {
  if (!wasmCopies && tf.getBackend() === 'wasm') {
    registerWasmCopyKernels();
    wasmCopies = true;
  }
}

/**
 * `ensureKernels()`, and the native module compiled and instantiated without blocking: Chromium's
 * main thread cannot compile it synchronously (over 4 KB), which the forward pass would otherwise
 * do. On WebAssembly its ranged kernels are shared between `threads` threads where they can start.
 */
export async function prepareKernels(threads: number): Promise<void> {
  ensureKernels();
  await prepareNativeKernels(threads);
}
