/**
 * Slice, SplitV, Unpack and GatherV2 for tfjs-backend-wasm, copying inside the wasm heap. tfjs's
 * own Slice/SplitV/Unpack (4.22) first read the whole input out of the heap into a fresh JS
 * ArrayBuffer for every output (`readSync`), so splitting fused q|k|v columns or unstacking heads
 * cost more than the matmuls around them (a 64-token GPT-2-small forward spent ~45% of its time
 * there). Its GatherV2 moves one element at a time: the embedding rows of a 64-token GPT-2-small
 * prompt (whole panels of the tied, packed embedding) took 29 ms of a 380 ms pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { offsetOf, type WasmBackend } from './wasm-heap';

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * Copies the box [begin, begin + size) of x into a new tensor: one copyWithin per contiguous run
 * (the trailing axes that are taken whole merge into one run).
 */
function sliceBox(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const bytes = BYTES[x.dtype]!;
  const out = backend.makeOutput(size, x.dtype);
  const total = size.reduce((a, b) => a * b, 1);
  if (total === 0) return out;
  const heap = (backend as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8;
  const rank = x.shape.length;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * x.shape[i + 1]!;
  // Run length: the last axis, grown leftwards while the axis to its right is taken whole.
  let axis = rank - 1;
  let run = size[axis]!;
  while (axis > 0 && size[axis] === x.shape[axis]) {
    axis--;
    run *= size[axis]!;
  }
  const src = offsetOf(backend, x);
  let dst = offsetOf(backend, out);
  const runBytes = run * bytes;
  // Odometer over the axes left of the run.
  const idx = new Array<number>(axis).fill(0);
  for (let done = 0; done < total; done += run) {
    let at = begin[axis]! * strides[axis]!;
    for (let i = 0; i < axis; i++) at += (begin[i]! + idx[i]!) * strides[i]!;
    heap.copyWithin(dst, src + at * bytes, src + at * bytes + runBytes);
    dst += runBytes;
    for (let i = axis - 1; i >= 0; i--) {
      if (++idx[i]! < size[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

function slice({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = inputs.x!;
  const [begin, size] = tf.slice_util.parseSliceParams(
    x as tf.Tensor,
    attrs!.begin as number[],
    attrs!.size as number[],
  );
  return sliceBox(backend as unknown as WasmBackend, x, begin!, size!);
}

function splitV({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const x = inputs.x!;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, attrs!.numOrSizeSplits as number[], axis)!;
  const begin = new Array<number>(x.shape.length).fill(0);
  return sizes.map((s) => {
    const size = [...x.shape];
    size[axis] = s;
    const out = sliceBox(backend as unknown as WasmBackend, x, [...begin], size);
    begin[axis]! += s;
    return out;
  });
}

function unpack({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const x = inputs.value!;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0]!;
  const outShape = x.shape.filter((_, i) => i !== axis);
  const size = [...x.shape];
  size[axis] = 1;
  return Array.from({ length: x.shape[axis]! }, (_, i) => {
    const begin = new Array<number>(x.shape.length).fill(0);
    begin[axis] = i;
    const out = sliceBox(backend as unknown as WasmBackend, x, begin, size);
    return { ...out, shape: outShape };
  });
}

/**
 * x gathered along `axis` at `indices` (batchDims 0): one copyWithin per (outer index, index), of
 * everything right of the axis. An index outside the axis is an error, as on tfjs's CPU backend.
 */
function gather({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { x, indices } = inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const wasm = backend as unknown as WasmBackend;
  const axis = tf.util.parseAxisParam(attrs!.axis as number, x.shape)[0]!;
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  const along = x.shape[axis]!;
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const count = tf.util.sizeFromShape(indices.shape);
  // Read before the output is made: making it may grow the heap, which replaces HEAPU8.
  const at = count > 0 ? wasm.wasm.HEAPU8.byteOffset + offsetOf(wasm, indices) : 0;
  const ids = count > 0 ? new Int32Array(wasm.wasm.HEAPU8.buffer, at, count).slice() : new Int32Array(0);
  for (const id of ids)
    if (id < 0 || id >= along) throw new Error(`GatherV2: the index value ${id} is not in [0, ${along - 1}]`);
  const out = wasm.makeOutput(
    [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)],
    x.dtype,
  );
  if (outer * count * inner === 0) return out;
  const heap = wasm.wasm.HEAPU8;
  const run = inner * BYTES[x.dtype]!;
  const src = offsetOf(wasm, x);
  let dst = offsetOf(wasm, out);
  for (let o = 0; o < outer; o++)
    for (const id of ids) {
      const from = src + (o * along + id) * run;
      heap.copyWithin(dst, from, from + run);
      dst += run;
    }
  return out;
}

/** Each replacement, and whether it takes a call (else tfjs's own kernel runs). */
const OVERRIDES: Record<
  string,
  { run: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]; takes: (args: KernelArgs) => boolean }
> = {
  [tf.Slice]: { run: slice, takes: ({ inputs }) => copies(inputs.x!) },
  [tf.SplitV]: { run: splitV, takes: ({ inputs }) => copies(inputs.x!) },
  [tf.Unpack]: { run: unpack, takes: ({ inputs }) => copies(inputs.value!) },
  [tf.GatherV2]: {
    run: gather,
    takes: ({ inputs, attrs }) =>
      copies(inputs.x!) && inputs.indices!.dtype === 'int32' && !(attrs!.batchDims as number),
  },
};

/** Strings keep tfjs's kernels. */
function copies(x: tf.TensorInfo): boolean {
  return BYTES[x.dtype] !== undefined;
}

/**
 * Replaces tfjs-backend-wasm's Slice, SplitV, Unpack and GatherV2 (once; call after the wasm
 * backend's package is imported, which registers its own).
 */
export function registerWasmCopyKernels(): void {
  for (const [name, { run, takes }] of Object.entries(OVERRIDES)) {
    const original = tf.getKernel(name, 'wasm');
    if (!original || (original as { rudder?: true }).rudder) continue;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) =>
        takes(args) ? run(args) : original.kernelFunc(args as never)) as tf.KernelFunc,
      rudder: true,
    } as tf.KernelConfig);
  }
}
