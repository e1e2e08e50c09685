/**
 * The page `npm run bench:web` drives: it starts each engine in its own worker (as the app runs
 * Rudder) and forwards calls to it; the timing happens inside the workers.
 */
import * as Comlink from 'comlink';
import type { BenchBackend, EngineWorker, WorkerInfo } from './protocol';

export type EngineName = 'rudder' | 'ort';

const workers = new Map<number, { worker: Worker; remote: Comlink.Remote<EngineWorker> }>();
let nextId = 0;

async function open(
  engine: EngineName,
  backend: BenchBackend,
  threads: number,
): Promise<{ id: number; info: WorkerInfo }> {
  const worker =
    engine === 'rudder'
      ? new Worker(new URL('./rudder-worker.ts', import.meta.url), { type: 'module' })
      : new Worker(new URL('./ort-worker.ts', import.meta.url), { type: 'module' });
  const remote = Comlink.wrap<EngineWorker>(worker);
  const id = nextId++;
  workers.set(id, { worker, remote });
  return { id, info: await remote.init(backend, threads) };
}

type Method = Exclude<keyof EngineWorker, 'init'>;

async function call<M extends Method>(
  id: number,
  method: M,
  ...args: Parameters<NonNullable<EngineWorker[M]>>
): Promise<Awaited<ReturnType<NonNullable<EngineWorker[M]>>>> {
  const w = workers.get(id);
  if (!w) throw new Error(`no worker ${id}`);
  const fn = w.remote[method] as unknown as (...a: unknown[]) => Promise<never>;
  return fn(...args);
}

function close(id: number): void {
  workers.get(id)?.worker.terminate();
  workers.delete(id);
}

/** Whether WebGPU has a hardware adapter (a software one, SwiftShader, is not worth timing). */
async function hardwareGpu(): Promise<string | undefined> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const desc = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  return info.isFallbackAdapter || /swiftshader/i.test(desc) ? undefined : desc || 'unnamed GPU';
}

declare global {
  interface Window {
    rudderBench: {
      open: typeof open;
      call: typeof call;
      close: typeof close;
      hardwareGpu: typeof hardwareGpu;
    };
  }
}
window.rudderBench = { open, call, close, hardwareGpu };
document.getElementById('status')!.textContent = 'ready';
