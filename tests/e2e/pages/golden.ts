/**
 * Runs the engine in the page's main thread against the PyTorch golden fixtures, on the backend
 * the test asks for. Mirrors the Node golden test: logits for each sequence, activations at the
 * fixture's hooks, and 20 greedy tokens. The test drives it through `window.rudderGolden`.
 */

import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tf from '@tensorflow/tfjs-core';
import * as Comlink from 'comlink';
import {
  type BackendName,
  disposeResult,
  FUSED_MULTIPLY_ADD,
  generate,
  type HookName,
  loadModel,
  type ModelSource,
  type ModelSpec,
  nativeKernelThreads,
  selectBackend,
  urlSource,
} from '../../../src/engine';
import { parseSafetensors } from '../../../src/engine/weights';
import { wasmThreadCount } from '../../../src/worker/threads';
import { gpt2Spec, randomModel } from '../../support/random-model';
import type { BenchWorker } from './bench-worker';

export interface GoldenCase {
  readonly weights: string;
  readonly golden: string;
  /** Fields merged into config.json (e.g. the rotary layout a golden was computed with). */
  readonly configPatch?: Record<string, unknown>;
}

export interface Diff {
  readonly maxAbs: number;
  /** maxAbs / max |reference|. */
  readonly maxRel: number;
  readonly where: string;
}

export interface GoldenReport {
  readonly logits: Diff;
  readonly acts: Diff;
  readonly greedy: { readonly got: number[]; readonly want: number[] };
  readonly ms: number;
}

interface GoldenJson {
  sequences: number[][];
  acts_sequences: number[];
  hooks: string[];
  greedy: { prompt: number[]; tokens: number[] };
}

function withConfig(source: ModelSource, patch: Record<string, unknown>): ModelSource {
  return {
    ...source,
    readText: async (file, signal) => {
      const text = await source.readText(file, signal);
      return file === 'config.json' ? JSON.stringify({ ...JSON.parse(text), ...patch }) : text;
    },
  };
}

/** Reference entries at -inf (masked attention scores) must be ≤ -1e8 here and are left out. */
function diff(got: ArrayLike<number>, want: Float32Array, where: string): Diff {
  if (got.length !== want.length)
    throw new Error(`${where}: ${got.length} values, reference has ${want.length}`);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (want[i] === Number.NEGATIVE_INFINITY) {
      if (!(got[i]! < -1e8))
        return {
          maxAbs: Number.POSITIVE_INFINITY,
          maxRel: Number.POSITIVE_INFINITY,
          where: `${where}[${i}] (masked in the reference, ${got[i]} here)`,
        };
      continue;
    }
    const d = Math.abs(got[i]! - want[i]!);
    maxAbs = Number.isNaN(d) ? Number.POSITIVE_INFINITY : Math.max(maxAbs, d);
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return { maxAbs, maxRel: scale > 0 ? maxAbs / scale : maxAbs, where };
}

const worst = (a: Diff, b: Diff) => (b.maxRel > a.maxRel ? b : a);
const NONE: Diff = { maxAbs: 0, maxRel: 0, where: '' };

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

async function run(c: GoldenCase): Promise<GoldenReport> {
  const started = performance.now();
  const golden = (await await fetchOk(`${c.golden}/golden.json`).then((r) => r.json())) as GoldenJson;
  const ref = parseSafetensors(
    new Uint8Array(await (await fetchOk(`${c.golden}/golden.safetensors`)).arrayBuffer()),
    'golden.safetensors',
  );
  let source = urlSource(c.weights, { cacheName: false });
  if (c.configPatch) source = withConfig(source, c.configPatch);
  const model = await loadModel(source);
  const before = tf.memory().numTensors;
  try {
    let logits = NONE;
    let acts = NONE;
    for (const [i, seq] of golden.sequences.entries()) {
      const withActs = golden.acts_sequences.includes(i);
      const r = model.run(seq, { cache: withActs ? (golden.hooks as HookName[]) : [] });
      logits = worst(logits, diff(await r.logits!.data(), ref.read(`logits.${i}`).data, `logits.${i}`));
      for (const [name, t] of r.cache) {
        acts = worst(acts, diff(await t.data(), ref.read(`acts.${i}.${name}`).data, `acts.${i}.${name}`));
      }
      disposeResult(r);
    }
    const out = await generate(model, golden.greedy.prompt, {
      maxTokens: golden.greedy.tokens.length,
      temperature: 0,
      stopTokens: [],
    });
    const leaked = tf.memory().numTensors - before;
    if (leaked !== 0) throw new Error(`${leaked} tensors leaked`);
    return {
      logits,
      acts,
      greedy: { got: out.tokens, want: golden.greedy.tokens },
      ms: Math.round(performance.now() - started),
    };
  } finally {
    model.dispose();
  }
}

/**
 * Every golden sequence's logits and the fixture's activations, as plain numbers, and 20 greedy
 * tokens: what two pages on different thread counts must agree on exactly.
 */
async function outputs(c: GoldenCase): Promise<{ values: number[]; tokens: number[] }> {
  const golden = (await (await fetchOk(`${c.golden}/golden.json`)).json()) as GoldenJson;
  const model = await loadModel(urlSource(c.weights, { cacheName: false }));
  try {
    const values: number[] = [];
    for (const seq of golden.sequences) {
      const r = model.run(seq, { cache: golden.hooks as HookName[] });
      values.push(...(await r.logits!.data()));
      for (const [, t] of r.cache) values.push(...(await t.data()));
      disposeResult(r);
    }
    const out = await generate(model, golden.greedy.prompt, {
      maxTokens: 20,
      temperature: 0,
      stopTokens: [],
    });
    return { values, tokens: out.tokens };
  } finally {
    model.dispose();
  }
}

/** Median time of a 64-token forward (last-position logits) on a random model of `spec`'s shape. */
async function forwardMs(over: Partial<ModelSpec>, repeats = 3): Promise<{ ms: number[]; median: number }> {
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
    await once(); // warm-up: kernels compile, buffers allocate
    const ms: number[] = [];
    for (let i = 0; i < repeats; i++) ms.push(Math.round(await once()));
    const sorted = [...ms].sort((a, b) => a - b);
    return { ms, median: sorted[Math.floor(sorted.length / 2)]! };
  } finally {
    model.dispose();
  }
}

async function init(prefer: BackendName, opts: { threads?: number } = {}) {
  const choice = await selectBackend({
    prefer,
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
    wasmThreads: opts.threads ?? wasmThreadCount(),
  });
  const threads = choice.name === 'wasm' ? nativeKernelThreads().threads : undefined;
  return {
    name: choice.name,
    reason: choice.reason,
    threads,
    fusedMultiplyAdd: choice.name === 'wasm' ? FUSED_MULTIPLY_ADD : undefined,
    crossOriginIsolated: self.crossOriginIsolated,
    multithreadFlag: choice.name === 'wasm' ? tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') : undefined,
  };
}

/** Times the forward inside a worker (where the app runs its model) with `threads` wasm threads. */
async function forwardMsInWorker(over: Partial<ModelSpec>, threads?: number) {
  const worker = new Worker(new URL('./bench-worker.ts', import.meta.url), { type: 'module' });
  const remote = Comlink.wrap<BenchWorker>(worker);
  try {
    const info = await remote.init('wasm', threads);
    return { ...info, ...(await remote.forwardMs(over)) };
  } finally {
    worker.terminate();
  }
}

declare global {
  interface Window {
    rudderGolden: {
      init: typeof init;
      run: typeof run;
      outputs: typeof outputs;
      forwardMs: typeof forwardMs;
      forwardMsInWorker: typeof forwardMsInWorker;
    };
  }
}
window.rudderGolden = { init, run, outputs, forwardMs, forwardMsInWorker };
document.getElementById('status')!.textContent = 'ready';
