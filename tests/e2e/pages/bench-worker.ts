/** The 64-token forward timing of golden.ts, run inside a worker as the app runs the model. */
import * as Comlink from 'comlink';
import { type BackendName, disposeResult, type ModelSpec, selectBackend } from '../../../src/engine';
import { withWasmThreads } from '../../../src/worker/threads';
import { WASM_PATHS } from '../../../src/worker/wasm-paths';
import { gpt2Spec, randomModel } from '../../support/random-model';

const api = {
  async init(prefer: BackendName, threads?: number) {
    const choice = await withWasmThreads(() => selectBackend({ prefer, wasmPaths: WASM_PATHS }), threads);
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    return { name: choice.name, threads: choice.name === 'wasm' ? wasm.getThreadsCount() : undefined };
  },
  async forwardMs(over: Partial<ModelSpec>, repeats = 5) {
    const model = randomModel(gpt2Spec(over), 3);
    try {
      const tokens = Array.from({ length: 64 }, (_, i) => (i * 7919) % model.spec.vocabSize);
      const once = async () => {
        const t0 = performance.now();
        const r = model.run(tokens, { logits: 'last' });
        await r.logits!.data();
        disposeResult(r);
        return performance.now() - t0;
      };
      await once();
      const ms: number[] = [];
      for (let i = 0; i < repeats; i++) ms.push(Math.round(await once()));
      const sorted = [...ms].sort((a, b) => a - b);
      return { ms, median: sorted[Math.floor(sorted.length / 2)]! };
    } finally {
      model.dispose();
    }
  },
};
export type BenchWorker = typeof api;
Comlink.expose(api);
