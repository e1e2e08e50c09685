/**
 * What Rudder's own WebAssembly kernels need of tfjs-backend-wasm: where each tensor lives in its
 * linear memory, a way to allocate outputs there, and the memory object itself (so that a second
 * module can work on the same bytes, with no copies in or out).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm that are used here (it exports no types for them). */
export interface WasmBackend {
  readonly wasm: {
    readonly HEAPU8: Uint8Array;
    /** Allocates in the heap (kernel-threads.ts's control block, the matmul's packed rows). */
    _malloc(bytes: number): number;
    _free(offset: number): void;
    /** The threaded build keeps its (shared) memory here… */
    readonly wasmMemory?: WebAssembly.Memory;
    /** …the single-threaded build exports it from the module. */
    readonly asm?: { readonly memory?: WebAssembly.Memory };
  };
  readonly dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: readonly number[], dtype: tf.DataType): tf.TensorInfo;
}

/** The active backend when it is tfjs-backend-wasm, else undefined. */
export function wasmBackend(): WasmBackend | undefined {
  return tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend) : undefined;
}

/** The linear memory tfjs-backend-wasm keeps its tensors in. */
export function wasmMemoryOf(backend: WasmBackend): WebAssembly.Memory {
  const memory = backend.wasm.wasmMemory ?? backend.wasm.asm?.memory;
  if (!memory) throw new Error('internal: tfjs-backend-wasm exposes no WebAssembly.Memory');
  return memory;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: WasmBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (!data) throw new Error('internal: tensor is not on the wasm backend');
  return data.memoryOffset;
}
