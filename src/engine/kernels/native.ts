/**
 * Rudder's WebAssembly kernels (native/kernels.c), instantiated on tfjs-backend-wasm's own memory
 * and registered as tfjs kernels for the 'wasm' backend, so that they read and write tensors in
 * place and show up in tf.profile like any other kernel.
 *
 * The module is 37 KB: compiling it synchronously is fine in a worker and in Node, but Chromium's
 * main thread refuses modules over 4 KB, so selectBackend calls `prepareNativeKernels()` (async)
 * first; `nativeKernelsReady()` then finds the instance made.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type KernelThreads, singleThread, startKernelThreads } from './kernel-threads';
import { PLAIN, PLAIN_FMA, SHARED, SHARED_FMA } from './native/kernels-wasm';
import { offsetOf, type WasmBackend, wasmBackend, wasmMemoryOf } from './wasm-heap';

interface Exports {
  attn_pattern(
    q: number,
    k: number,
    mask: number,
    out: number,
    scores: number,
    p: number,
    h: number,
    kh: number,
    d: number,
    t: number,
    maskRows: number,
    scale: number,
    softcap: number,
    r0: number,
    r1: number,
  ): void;
  attn_mix(
    pattern: number,
    v: number,
    out: number,
    p: number,
    h: number,
    kh: number,
    d: number,
    t: number,
    r0: number,
    r1: number,
  ): void;
  norm(
    x: number,
    w: number,
    bias: number,
    out: number,
    scale: number,
    n: number,
    d: number,
    eps: number,
    centre: number,
  ): void;
  activate(x: number, out: number, n: number, kind: number): void;
  gated(gu: number, out: number, n: number, m: number, kind: number): void;
  head_results(
    z: number,
    packedWO: number,
    out: number,
    rows: number,
    h: number,
    d: number,
    n: number,
    h0: number,
    h1: number,
    half: number,
  ): void;
  sum_heads(x: number, bias: number, out: number, rows: number, h: number, n: number): void;
  lens_stats(
    x: number,
    xf: number,
    pf: number,
    out: number,
    pos: number,
    v: number,
    r0: number,
    r1: number,
  ): void;
  pack_panels(w: number, out: number, k: number, n: number, half: number, transposed: number): void;
  unpack_panels(packed: number, w: number, k: number, n: number, half: number): void;
  panel_columns(packed: number, ids: number, out: number, t: number, k: number, half: number): void;
  pack_rows(a: number, out: number, m: number, k: number): void;
  matmul(
    a: number,
    ap: number,
    packed: number,
    bias: number,
    c: number,
    m: number,
    k: number,
    n: number,
    p0: number,
    p1: number,
    act: number,
    half: number,
  ): void;
}

/** Columns per packed weight panel (kernels.c's PANEL). */
export const PANEL = 8;

/** Kernel names, as registered for the 'wasm' backend. */
export const NATIVE = {
  attnPattern: 'RudderAttnPattern',
  attnMix: 'RudderAttnMix',
  norm: 'RudderNorm',
  activate: 'RudderActivate',
  gated: 'RudderGated',
  headResults: 'RudderHeadResults',
  sumHeads: 'RudderSumHeads',
  lensStats: 'RudderLensStats',
  packPanels: 'RudderPackPanels',
  unpackPanels: 'RudderUnpackPanels',
  panelColumns: 'RudderPanelColumns',
  matMul: 'RudderMatMul',
} as const;

/**
 * Whether packed panels hold bfloat16 values (two to an int32 element: tfjs has no 16-bit dtype)
 * rather than float32.
 */
const isHalf = (packed: tf.TensorInfo) => (packed.dtype === 'int32' ? 1 : 0);

/** Activations the native kernels compute (kernels.c's ACT_*). */
export const NATIVE_ACTIVATIONS = { gelu_new: 0, silu: 1 } as const;

/** The matmul's `act` for no activation (kernels.c's ACT_NONE). */
export const NO_ACTIVATION = -1;

/** The kernels' instance and the threads that share its ranged calls. */
interface Native {
  readonly k: Exports;
  threads: KernelThreads;
}

/** Per tfjs wasm module (a new backend instance brings a new memory): the instance, or null if it cannot start. */
const instances = new WeakMap<object, Native | null>();
const compiled = new Map<boolean, WebAssembly.Module>();

/**
 * The smallest module that uses relaxed SIMD: one function computing f32x4.relaxed_madd of three
 * zero vectors. Chromium validates it; engines without relaxed SIMD (and Node without
 * --experimental-wasm-relaxed-simd) do not.
 */
const ZERO_V128 = [0xfd, 0x0c, ...new Array<number>(16).fill(0)];
const MADD_BODY = [0x00, ...ZERO_V128, ...ZERO_V128, ...ZERO_V128, 0xfd, 0x85, 0x02, 0x0b];
const RELAXED_SIMD_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...[0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b], // types: () → v128
  ...[0x03, 0x02, 0x01, 0x00], // one function of type 0
  ...[0x0a, MADD_BODY.length + 2, 0x01, MADD_BODY.length, ...MADD_BODY], // its code
]);

/**
 * Whether the kernels run with fused multiply-adds: the relaxed-SIMD build of kernels.c, where the
 * engine has relaxed SIMD (the matrix products' inner loops then take one instruction per
 * multiply-add instead of two).
 */
export const FUSED_MULTIPLY_ADD = WebAssembly.validate(RELAXED_SIMD_PROBE);

function bytesOf(shared: boolean): Uint8Array {
  const base64 = FUSED_MULTIPLY_ADD ? (shared ? SHARED_FMA : PLAIN_FMA) : shared ? SHARED : PLAIN;
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

/** The module variant whose memory import matches tfjs's memory (shared in the threaded build). */
function variantOf(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

function started(backend: WasmBackend, instance: WebAssembly.Instance | undefined): Native | null {
  const k = instance?.exports as unknown as Exports | undefined;
  const native = k ? { k, threads: singleThread(k) } : null;
  instances.set(backend.wasm, native);
  if (native) registerNativeKernels();
  return native;
}

/**
 * Compiles and instantiates the kernels for the active wasm backend without blocking (browser main
 * thread), and starts `threads − 1` helper workers to share their ranged calls (kernel-threads.ts).
 */
export async function prepareNativeKernels(threads: number): Promise<void> {
  const backend = wasmBackend();
  if (!backend || instances.has(backend.wasm)) return;
  try {
    const memory = wasmMemoryOf(backend);
    const shared = variantOf(memory);
    const module = compiled.get(shared) ?? (await WebAssembly.compile(bytesOf(shared) as BufferSource));
    compiled.set(shared, module);
    const native = started(backend, await WebAssembly.instantiate(module, { env: { memory } }));
    if (native && shared)
      native.threads = await startKernelThreads(module, memory, backend.wasm, native.k, threads - 1);
  } catch {
    if (!instances.get(backend.wasm)) started(backend, undefined); // tfjs's own kernels run instead
  }
}

/**
 * Whether the active backend is wasm with the kernels instantiated; instantiates them now if need
 * be (synchronously: fine in Node and workers). False elsewhere, or where the module cannot start
 * (the engine then composes tfjs's own kernels).
 */
export function nativeKernelsReady(): boolean {
  const backend = wasmBackend();
  if (!backend) return false;
  const known = instances.get(backend.wasm);
  if (known !== undefined) return known !== null;
  try {
    const memory = wasmMemoryOf(backend);
    const shared = variantOf(memory);
    const module = compiled.get(shared) ?? new WebAssembly.Module(bytesOf(shared) as BufferSource);
    compiled.set(shared, module);
    return started(backend, new WebAssembly.Instance(module, { env: { memory } })) !== null;
  } catch {
    return started(backend, undefined) !== null;
  }
}

/** How many threads share the native kernels' ranged calls on the active backend, and how often they did. */
export function nativeKernelThreads(): { threads: number; sharedCalls: number } {
  const backend = wasmBackend();
  const threads = backend ? instances.get(backend.wasm)?.threads : undefined;
  return { threads: threads?.threads ?? 1, sharedCalls: threads?.sharedCalls ?? 0 };
}

type Args = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** The backend, its kernel instance, tensor → heap offset, and a new float32 output's offset. */
function context(args: Args) {
  const backend = args.backend as unknown as WasmBackend;
  const at = (t: tf.TensorInfo | undefined) => (t ? offsetOf(backend, t) : 0);
  const native = instances.get(backend.wasm)!;
  return {
    k: native.k,
    threads: native.threads,
    heap: backend.wasm,
    backend,
    at,
    output: (shape: number[]) => backend.makeOutput(shape, 'float32'),
  };
}

const KERNELS: Record<string, (args: Args) => tf.TensorInfo | tf.TensorInfo[]> = {
  [NATIVE.attnPattern]: (args) => {
    const { q, k: keys, mask } = args.inputs as Record<string, tf.TensorInfo>;
    const { threads, at, output } = context(args);
    const [b, p, h, d] = q!.shape as [number, number, number, number];
    const [, kh, t] = keys!.shape as [number, number, number];
    const pattern = output([b, h, p, t]);
    const scores = args.attrs!.withScores ? output([b, h, p, t]) : undefined;
    const cap = (args.attrs!.softcap as number | undefined) ?? 0;
    const call = [at(q), at(keys), at(mask), at(pattern), at(scores), p, h, kh, d, t, mask?.shape[0] ?? 1];
    threads.run('attn_pattern', [...call, args.attrs!.scale as number, cap, 0, 0], 13, b * h, p * t * d);
    return scores ? [pattern, scores] : [pattern];
  },
  [NATIVE.attnMix]: (args) => {
    const { pattern, v } = args.inputs as Record<string, tf.TensorInfo>;
    const { threads, at, output } = context(args);
    const [b, h, p, t] = pattern!.shape as [number, number, number, number];
    const [, kh, , d] = v!.shape as [number, number, number, number];
    const z = output([b, p, h, d]);
    threads.run('attn_mix', [at(pattern), at(v), at(z), p, h, kh, d, t, 0, 0], 8, b * h, p * t * d);
    return z;
  },
  [NATIVE.norm]: (args) => {
    const { x, w, b } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, output } = context(args);
    const d = x!.shape.at(-1)!;
    const out = output([...x!.shape]);
    const scale = args.attrs!.withScale ? output([...x!.shape.slice(0, -1), 1]) : undefined;
    k.norm(
      at(x),
      at(w),
      at(b),
      at(out),
      at(scale),
      tf.util.sizeFromShape(x!.shape) / d,
      d,
      args.attrs!.eps as number,
      b ? 1 : 0,
    );
    return scale ? [out, scale] : [out];
  },
  [NATIVE.activate]: (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, output } = context(args);
    const out = output([...x!.shape]);
    k.activate(at(x), at(out), tf.util.sizeFromShape(x!.shape), args.attrs!.kind as number);
    return out;
  },
  [NATIVE.gated]: (args) => {
    const { x } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, output } = context(args);
    const m = x!.shape.at(-1)! / 2;
    const out = output([...x!.shape.slice(0, -1), m]);
    k.gated(at(x), at(out), tf.util.sizeFromShape(x!.shape) / (2 * m), m, args.attrs!.kind as number);
    return out;
  },
  [NATIVE.headResults]: (args) => {
    const { z, packed } = args.inputs as Record<string, tf.TensorInfo>;
    const { threads, at, output } = context(args);
    const [b, p, h, d] = z!.shape as [number, number, number, number];
    const n = args.attrs!.n as number;
    const out = output([b, p, h, n]);
    const call = [at(z), at(packed), at(out), b * p, h, d, n, 0, 0, isHalf(packed!)];
    threads.run('head_results', call, 7, h, b * p * d * n);
    return out;
  },
  [NATIVE.sumHeads]: (args) => {
    const { x, bias } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, output } = context(args);
    const [b, p, h, n] = x!.shape as [number, number, number, number];
    const out = output([b, p, n]);
    k.sum_heads(at(x), at(bias), at(out), b * p, h, n);
    return out;
  },
  [NATIVE.lensStats]: (args) => {
    const { x, xf, pf } = args.inputs as Record<string, tf.TensorInfo>;
    const { threads, at, output } = context(args);
    const [rows, v] = x!.shape as [number, number];
    const out = output([rows, 4]);
    threads.run('lens_stats', [at(x), at(xf), at(pf), at(out), xf!.shape[0]!, v, 0, 0], 6, rows, 3 * v);
    return out;
  },
  [NATIVE.packPanels]: (args) => {
    const { w } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, backend } = context(args);
    const transposed = args.attrs!.transposed ? 1 : 0;
    const [kk, n] = (transposed ? [...w!.shape].reverse() : w!.shape) as [number, number];
    const values = Math.ceil(n / PANEL) * kk * PANEL;
    const half = args.attrs!.half ? 1 : 0;
    const out = half ? backend.makeOutput([values / 2], 'int32') : backend.makeOutput([values], 'float32');
    k.pack_panels(at(w), at(out), kk, n, half, transposed);
    return out;
  },
  [NATIVE.unpackPanels]: (args) => {
    const { packed } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, output } = context(args);
    const [kk, n] = [args.attrs!.k as number, args.attrs!.n as number];
    const w = output([kk, n]);
    k.unpack_panels(at(packed), at(w), kk, n, isHalf(packed!));
    return w;
  },
  [NATIVE.panelColumns]: (args) => {
    const { packed, ids } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, at, output, heap } = context(args);
    const [kk, n] = [args.attrs!.k as number, args.attrs!.n as number];
    const t = ids!.shape[0]!;
    const idx = new Int32Array(heap.HEAPU8.buffer, heap.HEAPU8.byteOffset + at(ids), t);
    for (const id of idx)
      if (!(id >= 0 && id < n)) throw new Error(`the column ${id} is not in [0, ${n - 1}]`);
    const rows = output([t, kk]);
    k.panel_columns(at(packed), at(ids), at(rows), t, kk, isHalf(packed!));
    return rows;
  },
  [NATIVE.matMul]: (args) => {
    const { a, packed, bias } = args.inputs as Record<string, tf.TensorInfo>;
    const { k, threads, at, output, heap } = context(args);
    const [m, kk] = a!.shape as [number, number];
    const n = args.attrs!.n as number;
    const out = output([m, n]);
    const act = (args.attrs!.act as number | undefined) ?? NO_ACTIVATION;
    // A's 4-row blocks interleaved once (a copy of A) so that the inner loop loads them at constant
    // offsets; scratch in tfjs's heap, freed when the product is done.
    const blocks = Math.floor(m / 4);
    const ap = blocks > 0 ? heap._malloc(blocks * 4 * kk * 4) >>> 0 : 0;
    try {
      if (ap) k.pack_rows(at(a), ap, m, kk);
      const call = [at(a), ap, at(packed), at(bias), at(out), m, kk, n, 0, 0, act, isHalf(packed!)];
      threads.run('matmul', call, 8, Math.ceil(n / PANEL), m * kk * PANEL);
    } finally {
      if (ap) heap._free(ap);
    }
    return out;
  },
};

function registerNativeKernels(): void {
  for (const [kernelName, kernelFunc] of Object.entries(KERNELS)) {
    if (!tf.getKernel(kernelName, 'wasm'))
      tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
  }
}
