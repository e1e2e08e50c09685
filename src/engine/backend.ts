/**
 * Choosing where tensors live. Preference: WebGPU on a hardware adapter, WebGL, WebAssembly, CPU.
 * A software WebGPU adapter (SwiftShader) is slower than WebAssembly, so it is used only when
 * asked for (`prefer: 'webgpu'`), which lets tests run the WebGPU kernels. The choice and the
 * reason are reported so the UI can show them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RudderError } from './errors';
import { prepareKernels } from './kernels';
import type { BackendLimits } from './memory';

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

export interface BackendChoice {
  readonly name: BackendName;
  /** Why this backend, in one sentence a person can read. */
  readonly reason: string;
  /** Why each backend before it was passed over ("WebGPU: this browser has no WebGPU."). */
  readonly passedOver: readonly string[];
  /**
   * The software renderer a GPU backend runs on when it was asked for anyway (e.g. "SwiftShader"):
   * it works, but on the CPU and far slower than WebAssembly, so the page warns.
   */
  readonly software?: string;
  readonly limits: BackendLimits;
}

export interface BackendOptions {
  /** Use this backend if it can start (e.g. `?backend=webgpu`), else fall back with the reason. */
  readonly prefer?: BackendName;
  /** Where the tfjs-backend-wasm `.wasm` files are served (browser builds; Node finds its own). */
  readonly wasmPaths?: string | Record<string, string>;
  /**
   * WebAssembly: threads for Rudder's kernels, the calling thread and `wasmThreads − 1` helper
   * workers (kernels/kernel-threads.ts; they need cross-origin isolation and a Worker). Default 1.
   * tfjs's own pool always runs one thread: the ops left to it are small, and waking its pool for
   * each one costs small models more than it gains (docs/ENGINE.md, Threads).
   */
  readonly wasmThreads?: number;
}

const GiB = 1024 ** 3;
/**
 * tfjs-backend-wasm 4.22 is a wasm32 Emscripten build whose heap grows to at most 4,294,901,760
 * bytes (its getHeapMax(): 65,535 pages of 64 KiB; the threaded build declares 4 GiB), and its JS
 * side reads offsets above 2 GB correctly (`_malloc(n) >>> 0`). Every tensor lives in that heap
 * as float32. Half a GiB stays free for the runtime's own allocations and fragmentation.
 */
const WASM_HEAP_BYTES = 3.5 * GiB;

export async function selectBackend(opts: BackendOptions = {}): Promise<BackendChoice> {
  const passedOver: string[] = [];
  const order: BackendName[] = opts.prefer
    ? [opts.prefer, ...(['webgpu', 'webgl', 'wasm', 'cpu'] as const).filter((b) => b !== opts.prefer)]
    : ['webgpu', 'webgl', 'wasm', 'cpu'];
  for (const name of order) {
    const forced = name === opts.prefer;
    const why = await tryBackend(name, forced, opts);
    if (why.ok) {
      const reason = forced ? `${label(name)} was requested.` : why.reason;
      const software = why.software ? { software: why.software } : {};
      return { name, reason, passedOver, ...software, limits: await limitsOf(name) };
    }
    passedOver.push(`${label(name)}: ${why.reason}`);
  }
  throw new RudderError('no-backend', `No TensorFlow.js backend could start. ${passedOver.join(' ')}`);
}

type Attempt = { ok: true; reason: string; software?: string } | { ok: false; reason: string };

async function tryBackend(name: BackendName, forced: boolean, opts: BackendOptions): Promise<Attempt> {
  const isBrowser = typeof window !== 'undefined' || typeof importScripts === 'function';
  let software: string | undefined;
  try {
    switch (name) {
      case 'webgpu': {
        const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
        if (!gpu) return { ok: false, reason: 'this browser has no WebGPU.' };
        const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
        if (!adapter) return { ok: false, reason: 'no WebGPU adapter is available.' };
        software = softwareAdapter(adapter);
        if (software && !forced)
          return {
            ok: false,
            reason: 'the only WebGPU adapter is a software one (slower than WebAssembly).',
          };
        await import('@tensorflow/tfjs-backend-webgpu');
        break;
      }
      case 'webgl': {
        if (!isBrowser) return { ok: false, reason: 'not available outside a browser.' };
        software = softwareWebGL();
        if (software && !forced)
          return {
            ok: false,
            reason: `WebGL runs on a software renderer (${software}), slower than WebAssembly.`,
          };
        await import('@tensorflow/tfjs-backend-webgl');
        break;
      }
      case 'wasm': {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths as string);
        wasm.setThreadsCount(1);
        break;
      }
      case 'cpu':
        await import('@tensorflow/tfjs-backend-cpu');
        break;
    }
    if (!(await tf.setBackend(name))) return { ok: false, reason: 'it failed to initialise.' };
    await tf.ready();
    await prepareKernels(opts.wasmThreads ?? 1);
  } catch (e) {
    return { ok: false, reason: `it failed to start (${(e as Error).message}).` };
  }
  return { ok: true, reason: defaultReason(name), ...(software ? { software } : {}) };
}

function defaultReason(name: BackendName): string {
  switch (name) {
    case 'webgpu':
      return 'WebGPU runs on this machine’s GPU.';
    case 'webgl':
      return 'WebGL runs on the GPU (WebGPU is not available).';
    case 'wasm':
      return 'WebAssembly runs on the CPU with SIMD (no GPU backend is available).';
    case 'cpu':
      return 'Plain JavaScript on the CPU (slowest; nothing faster is available).';
  }
}

function label(name: BackendName): string {
  return { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly', cpu: 'CPU' }[name];
}

/** The adapter's name when it runs in software (isFallbackAdapter, or SwiftShader by name). */
function softwareAdapter(adapter: GPUAdapter): string | undefined {
  const a = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
  const info = a.info as (GPUAdapterInfo & { isFallbackAdapter?: boolean }) | undefined;
  const desc = `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`;
  if (/swiftshader/i.test(desc)) return 'SwiftShader';
  if (a.isFallbackAdapter || info?.isFallbackAdapter) return desc.trim() || 'a software adapter';
  return undefined;
}

/**
 * The renderer's name when WebGL would run in software (SwiftShader, llvmpipe: what headless
 * and GPU-less machines get), else undefined, judged from the unmasked renderer string.
 */
function softwareWebGL(): string | undefined {
  const canvas =
    typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(1, 1)
      : (globalThis.document?.createElement('canvas') as HTMLCanvasElement | undefined);
  if (!canvas) return undefined;
  const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
  if (!gl) return undefined; // no WebGL at all: tfjs will fail to start and say so
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  const software = /swiftshader|llvmpipe|softpipe|software|basic render/i.exec(name);
  return software ? software[0] : undefined;
}

async function limitsOf(name: BackendName): Promise<BackendLimits> {
  switch (name) {
    case 'wasm':
      return { backend: name, maxTotalBytes: WASM_HEAP_BYTES, maxTensorBytes: WASM_HEAP_BYTES };
    case 'webgpu': {
      const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
      const binding = device?.limits.maxStorageBufferBindingSize ?? 128 * 1024 ** 2;
      return { backend: name, maxTotalBytes: deviceMemoryBytes(), maxTensorBytes: binding };
    }
    case 'webgl': {
      const maxTexture = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
      // A tensor is packed into one RGBA float texture.
      return {
        backend: name,
        maxTotalBytes: deviceMemoryBytes(),
        maxTensorBytes: maxTexture * maxTexture * 16,
      };
    }
    case 'cpu':
      return { backend: name, maxTotalBytes: deviceMemoryBytes(), maxTensorBytes: 2 * GiB };
  }
}

/** Half the machine's memory as the browser reports it (coarse, capped at 8 GiB by the API). */
function deviceMemoryBytes(): number {
  const gb = (globalThis.navigator as (Navigator & { deviceMemory?: number }) | undefined)?.deviceMemory;
  return gb ? (gb * GiB) / 2 : 4 * GiB;
}

declare function importScripts(...urls: string[]): void;
