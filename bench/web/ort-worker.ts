/**
 * onnxruntime-web's side of `npm run bench:web`, used as transformers.js uses it: a decoder with
 * past key/values (a prompt runs with an empty past; each step feeds the presents back), outputs
 * read into JS. The ONNX files are exported from the same checkpoint by export_onnx.py.
 */
import * as Comlink from 'comlink';
import type * as OrtModule from 'onnxruntime-web';
import wasmJsepUrl from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import wasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import { argmax, type BenchBackend, type EngineWorker } from './protocol';

interface Meta {
  n_heads: number;
  d_head: number;
  past: string[];
  present: string[];
  hooks: string[];
}

type Ort = typeof OrtModule;
let ort: Ort;
let provider: BenchBackend = 'wasm';
let meta: Meta;
let decoder: OrtModule.InferenceSession;
let caching: OrtModule.InferenceSession;

const ids = (tokens: readonly number[]) =>
  new ort.Tensor('int64', BigInt64Array.from(tokens, BigInt), [1, tokens.length]);

/** The empty past of a prompt pass: [1, heads, 0, d_head] per layer, as transformers.js feeds it. */
function emptyPast(): Record<string, OrtModule.Tensor> {
  const feeds: Record<string, OrtModule.Tensor> = {};
  for (const n of meta.past)
    feeds[n] = new ort.Tensor('float32', new Float32Array(0), [1, meta.n_heads, 0, meta.d_head]);
  return feeds;
}

async function session(url: string): Promise<OrtModule.InferenceSession> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  return ort.InferenceSession.create(bytes, {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
  });
}

const api: EngineWorker = {
  async init(backend: BenchBackend, threads: number) {
    // The WebGPU build (JSEP) also runs the wasm provider, but the plain build is what a wasm user gets.
    ort =
      backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
    provider = backend;
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.wasmPaths = { wasm: backend === 'webgpu' ? wasmJsepUrl : wasmUrl };
    return {
      backend,
      threads: backend === 'wasm' ? threads : undefined,
      version: `onnxruntime-web ${ort.env.versions.web}`,
    };
  },

  async load(base: string) {
    meta = (await (await fetch(`${base}/onnx/meta.json`)).json()) as Meta;
    decoder = await session(`${base}/onnx/decoder.onnx`);
    caching = await session(`${base}/onnx/cache.onnx`);
  },

  async prefill(tokens) {
    const t0 = performance.now();
    const out = await decoder.run({ input_ids: ids(tokens), ...emptyPast() });
    await out.logits!.getData();
    const ms = performance.now() - t0;
    for (const t of Object.values(out)) t.dispose();
    return ms;
  },

  async decode(tokens, steps) {
    let out = await decoder.run({ input_ids: ids(tokens), ...emptyPast() });
    let next = argmax((await out.logits!.getData()) as Float32Array);
    const t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      const feeds: Record<string, OrtModule.Tensor> = { input_ids: ids([next]) };
      meta.past.forEach((n, i) => {
        feeds[n] = out[meta.present[i]!]!;
      });
      const prev = out;
      out = await decoder.run(feeds);
      prev.logits!.dispose();
      for (const n of meta.present) prev[n]!.dispose();
      next = argmax((await out.logits!.getData()) as Float32Array);
    }
    const ms = performance.now() - t0;
    for (const t of Object.values(out)) t.dispose();
    return ms;
  },

  async fullCache(tokens) {
    const t0 = performance.now();
    const out = await caching.run({ input_ids: ids(tokens) });
    await out.logits!.getData();
    await out[meta.hooks.at(-1)!]!.getData();
    const ms = performance.now() - t0;
    for (const t of Object.values(out)) t.dispose();
    return ms;
  },
};

Comlink.expose(api);
