/** Rudder's side of `npm run bench:web`: the engine in a worker, started as the app's worker starts it. */
import * as tf from '@tensorflow/tfjs-core';
import * as Comlink from 'comlink';
import {
  allHookNames,
  disposeResult,
  FUSED_MULTIPLY_ADD,
  generate,
  type HookName,
  loadModel,
  type Model,
  nativeKernelThreads,
  selectBackend,
  urlSource,
} from '../../src/engine';
import { WASM_PATHS } from '../../src/worker/wasm-paths';
import type { BenchBackend, EngineWorker, KernelRow } from './protocol';

let model: Model | undefined;
let hooks: HookName[] = [];

const loaded = (): Model => {
  if (!model) throw new Error('load() first');
  return model;
};

const api: EngineWorker = {
  async init(backend: BenchBackend, threads: number) {
    const choice = await selectBackend({ prefer: backend, wasmPaths: WASM_PATHS, wasmThreads: threads });
    if (choice.name !== backend)
      throw new Error(`Rudder wanted ${backend} but got ${choice.name}: ${choice.reason}`);
    return {
      backend: choice.name,
      threads: choice.name === 'wasm' ? nativeKernelThreads().threads : undefined,
      version: `tfjs ${tf.version_core}${choice.name === 'wasm' && FUSED_MULTIPLY_ADD ? ', fused multiply-adds' : ''}`,
    };
  },

  async load(base, precision) {
    model = await loadModel(urlSource(base, { cacheName: false }), precision ? { precision } : {});
    hooks = allHookNames(model.spec);
  },

  async prefill(tokens) {
    const t0 = performance.now();
    const r = loaded().run(tokens, { logits: 'last' });
    await r.logits!.data();
    const ms = performance.now() - t0;
    disposeResult(r);
    return ms;
  },

  async decode(tokens, steps) {
    let start = 0;
    await generate(loaded(), tokens, {
      maxTokens: steps + 1,
      temperature: 0,
      stopTokens: [],
      // Token 0 comes from the prompt pass: the clock starts when it is known.
      onToken: (_id, i) => {
        if (i === 0) start = performance.now();
      },
    });
    return performance.now() - start;
  },

  async fullCache(tokens) {
    const t0 = performance.now();
    const r = loaded().run(tokens, { logits: 'last', cache: hooks });
    await r.logits!.data();
    // On WebGPU the activations may still be computing: wait for the last one written.
    await r.cache.get(hooks.at(-1)!)!.data();
    const ms = performance.now() - t0;
    disposeResult(r);
    return ms;
  },

  async profile(tokens, cache) {
    const sums = new Map<string, { calls: number; ms: number }>();
    const info = await tf.profile(async () => {
      const r = loaded().run(tokens, { logits: 'last', cache: cache ? hooks : [] });
      await r.logits!.data();
      disposeResult(r);
    });
    for (const k of info.kernels) {
      const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
      const row = sums.get(key) ?? { calls: 0, ms: 0 };
      row.calls++;
      row.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      sums.set(key, row);
    }
    return [...sums].map(([kernel, r]): KernelRow => ({ kernel, ...r })).sort((a, b) => b.ms - a.ms);
  },
};

Comlink.expose(api);
