/** The 64-token forward timing of golden.ts, run inside a worker as the app runs the model. */
import * as Comlink from 'comlink';
import {
  type BackendName,
  disposeResult,
  type ModelSpec,
  nativeKernelThreads,
  selectBackend,
} from '../../../src/engine';
import { wasmThreadCount } from '../../../src/worker/threads';
import { WASM_PATHS } from '../../../src/worker/wasm-paths';
import { gpt2Spec, randomModel } from '../../support/random-model';

const api = {
  async init(prefer: BackendName, threads?: number) {
    const wasmThreads = threads ?? wasmThreadCount();
    const choice = await selectBackend({ prefer, wasmPaths: WASM_PATHS, wasmThreads });
    return { name: choice.name, threads: choice.name === 'wasm' ? nativeKernelThreads().threads : undefined };
  },
  async forwardMs(over: Partial<ModelSpec>, repeats = 5) {
    const model = randomModel(gpt2Spec(over), 3);
    try {
      const tokens = Array.from({ length: 64 }, (_, i) => (i * 7919) % model.spec.vocabSize);
      let logits: number[] = [];
      const once = async () => {
        const t0 = performance.now();
        const r = model.run(tokens, { logits: 'last' });
        logits = Array.from(await r.logits!.data());
        disposeResult(r);
        return performance.now() - t0;
      };
      await once();
      const ms: number[] = [];
      for (let i = 0; i < repeats; i++) ms.push(Math.round(await once()));
      const sorted = [...ms].sort((a, b) => a - b);
      // The last position's logits (to compare thread counts bit for bit) and how the native
      // kernels' work was shared between threads.
      return { ms, median: sorted[Math.floor(sorted.length / 2)]!, logits, kernels: nativeKernelThreads() };
    } finally {
      model.dispose();
    }
  },
};
export type BenchWorker = typeof api;
Comlink.expose(api);
