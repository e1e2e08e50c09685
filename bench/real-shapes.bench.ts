/**
 * The models people load, at their real sizes, in Node on WebAssembly (`npm run bench:real`):
 * random weights in the published shapes (scripts/real-shapes.ts writes them under
 * bench/out/real-shapes on first run), loaded through the engine's loader with the backend's
 * memory limits. Prints load time, first-token time (prompt pass and one step), the time for 40
 * tokens, the estimate the page can show before download, and the process's peak memory.
 * Asserts nothing about time.
 *
 *   npm run bench:real [-- gpt2,smollm2,qwen,llama] [--precision bfloat16]
 *
 * --precision bfloat16 loads each with 16-bit weights (the page's choice), estimated so too.
 */
import '../src/cli/relaxed-simd'; // first: before the engine loads
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { REAL_SHAPES, writeRealShape } from '../scripts/real-shapes';
import {
  dirSource,
  estimateFromConfig,
  formatBytes,
  generate,
  loadModel,
  type Model,
  RudderError,
  selectBackend,
} from '../src/engine/node';

const OUT = join(import.meta.dirname, 'out/real-shapes');
const CONTEXT = 512;

function promptIds(model: Model): number[] {
  const tok = model.tokenizer;
  if (tok?.hasChatTemplate) {
    const text = tok.applyChatTemplate(
      [{ role: 'user', content: 'Write a short story about a lighthouse.' }],
      {
        addGenerationPrompt: true,
      },
    );
    return tok.encode(text, { addSpecialTokens: false });
  }
  return Array.from({ length: 16 }, (_, i) => (i * 7919 + 13) % model.spec.vocabSize);
}

async function main() {
  const args = process.argv.slice(2);
  const at = args.indexOf('--precision');
  const precision = at >= 0 ? args.splice(at, 2)[1] : undefined;
  if (precision !== undefined && precision !== 'bfloat16')
    throw new Error(`--precision ${precision}: the one choice is bfloat16`);
  const only = args[0]?.split(',');
  const backend = await selectBackend({ prefer: 'wasm' });
  console.log(
    `backend ${backend.name} (${backend.reason}); limit ${formatBytes(backend.limits.maxTotalBytes)}`,
  );
  console.log('machine: 2 shared cores; figures are single runs (the first token includes kernel warm-up).');
  for (const shape of REAL_SHAPES.filter((s) => !only || only.includes(s.key))) {
    const dir = writeRealShape(OUT, shape);
    const source = dirSource(dir);
    const config = JSON.parse(await source.readText('config.json'));
    const halfMatrices = precision === 'bfloat16' && backend.name === 'wasm';
    const estimate = estimateFromConfig(config, { contextTokens: CONTEXT, halfMatrices });
    console.log(
      `\n${shape.repo}: ${(estimate.parameters / 1e6).toFixed(1)}M parameters, download ${formatBytes(estimate.downloadBytes)}, ` +
        `needs ${formatBytes(estimate.memory.totalBytes)} at ${CONTEXT} tokens (weights ${formatBytes(estimate.memory.weightBytes)})`,
    );
    const t0 = performance.now();
    let model: Model;
    try {
      model = await loadModel(source, {
        limits: backend.limits,
        contextTokens: CONTEXT,
        ...(precision ? { precision: 'bfloat16' as const } : {}),
      });
    } catch (e) {
      if (!(e instanceof RudderError)) throw e;
      console.log(`  refused: ${e.message}`);
      continue;
    }
    const loadMs = performance.now() - t0;
    const prompt = promptIds(model);
    let first = 0;
    const t1 = performance.now();
    const out = await generate(model, prompt, {
      maxTokens: 40,
      temperature: 0,
      stopTokens: [],
      onToken: (_, i) => {
        if (i === 0) first = performance.now() - t1;
      },
    });
    const total = performance.now() - t1;
    const mem = process.memoryUsage();
    console.log(
      `  load ${(loadMs / 1000).toFixed(1)} s; prompt ${prompt.length} tokens → first token ${first.toFixed(0)} ms; ` +
        `40 tokens ${(total / 1000).toFixed(2)} s (${((out.tokens.length - 1) / ((total - first) / 1000)).toFixed(1)} tok/s after the first)`,
    );
    console.log(
      `  weights ${formatBytes(model.weights.bytes)}${precision ? ' (16-bit weights)' : ''}; tensors on the backend ${formatBytes(tf.memory().numBytes)}; process rss ${formatBytes(mem.rss)}, array buffers ${formatBytes(mem.arrayBuffers)}`,
    );
    model.dispose();
  }
}

await main();
