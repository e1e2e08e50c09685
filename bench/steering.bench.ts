/**
 * Steering benchmark (`npx tsx bench/steering.bench.ts`): building a vector from 32 contrast pairs,
 * and steered generation against unsteered generation, on the WebAssembly backend in Node.
 * Issue 4's bars: build < 2 s on an organism; steered generation < 1.2× unsteered.
 * Prints figures; asserts nothing about time.
 *
 * Models: the shipped organisms (models/organism-*) when they are there; otherwise random models
 * of the organisms' shape, and the GPT-2-small-shaped checkpoint of the engine bench if present.
 */
import '../src/cli/relaxed-simd'; // first: before the engine loads
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { dirSource, generate, loadModel, Model, type ModelSpec } from '../src/engine/node';
import { buildContrastVector, type ContrastPair, compile, type PromptInput } from '../src/interp';
import { gpt2Spec, llamaSpec, randomWeights } from '../tests/support/random-model';

const ROOT = join(import.meta.dirname, '..');
const PAIRS = 32;
const DECODE = 48;
const RUNS = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** 32 pairs of ~20-token prompts that differ in their last tokens (text for organisms, ids otherwise). */
function pairsFor(model: Model): ContrastPair[] {
  const V = Math.min(model.spec.vocabSize, 256);
  return Array.from({ length: PAIRS }, (_, i) => {
    if (model.tokenizer)
      return {
        positive: `Story ${i}: the child found a puppy and was so happy and kind today.`,
        negative: `Story ${i}: the child found a puppy and was so sad and angry today.`,
      };
    const stem = Array.from({ length: 18 }, (_, j) => (i * 31 + j * 7 + 3) % V);
    return { positive: [...stem, 5, 6] as PromptInput, negative: [...stem, 9, 10] as PromptInput };
  });
}

async function measure(label: string, model: Model): Promise<void> {
  const pairs = pairsFor(model);
  const layer = Math.floor(model.spec.nLayers / 2);
  const opts = { pairs, hook: 'resid_post', position: { kind: 'last' }, method: 'mean' } as const;
  const buildOne = await timeIt(() => buildContrastVector(model, { ...opts, layers: [layer] }));
  const buildAll = await timeIt(() => buildContrastVector(model, { ...opts, layers: 'all' }));
  const v = await buildContrastVector(model, { ...opts, layers: [layer] });
  const prompt = model.tokenizer?.encode('Once upon a time') ?? [1, 2, 3, 4];
  const gen = { maxTokens: DECODE, temperature: 0, stopTokens: [] };
  const plain = await timeIt(() => generate(model, prompt, gen));
  const add = compile({ kind: 'add', vector: 'v', coefficient: 4 }, { model, vectors: { v } });
  const steered = await timeIt(() => generate(model, prompt, { ...gen, hooks: add.hooks }));
  add.dispose();
  const ablate = compile({ kind: 'ablate', vector: 'v' }, { model, vectors: { v } });
  const ablated = await timeIt(() => generate(model, prompt, { ...gen, hooks: ablate.hooks }));
  ablate.dispose();
  console.log(
    [
      `${label}:`,
      `  build from ${PAIRS} pairs: ${buildOne.toFixed(0)} ms (one layer), ${buildAll.toFixed(0)} ms (all ${model.spec.nLayers} layers)`,
      `  generation of ${DECODE} tokens: ${plain.toFixed(0)} ms unsteered, ${steered.toFixed(0)} ms with one addition ` +
        `(${(steered / plain).toFixed(2)}x), ${ablated.toFixed(0)} ms with directional ablation at every write ` +
        `(${(ablated / plain).toFixed(2)}x)`,
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
  const organisms = ['organism-gpt2', 'organism-llama']
    .map((m) => join(ROOT, 'models', m))
    .filter(existsSync);
  for (const dir of organisms) {
    const model = await loadModel(dirSource(dir));
    await measure(dir.split('/').at(-1)!, model);
    model.dispose();
  }
  if (organisms.length === 0) {
    const shape = { nLayers: 6, dModel: 128, nHeads: 4, dHead: 32, vocabSize: 4096, nCtx: 256 };
    const specs: [string, ModelSpec][] = [
      ['random gpt2, organism-shaped', gpt2Spec({ ...shape, nKvHeads: 4, dMlp: 512 })],
      [
        'random llama, organism-shaped',
        llamaSpec({ ...shape, nKvHeads: 2, dMlp: 384, rotary: { theta: 1e4, dim: 32, layout: 'half' } }),
      ],
    ];
    for (const [label, spec] of specs) {
      const model = Model.fromHost(label, spec, randomWeights(spec, 1));
      await measure(label, model);
      model.dispose();
    }
  }
  const small = join(ROOT, 'bench/out/gpt2-small-random');
  if (existsSync(small)) {
    const model = await loadModel(dirSource(small));
    await measure('GPT-2-small-shaped (random)', model);
    model.dispose();
  }
}

await main();
