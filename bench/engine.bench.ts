/**
 * Engine benchmark (`npm run bench`): prompt forward latency, decode speed with the KV cache and
 * the cost of a full activation cache, on the WebAssembly backend in Node, next to PyTorch CPU on
 * the same weights in the same run. Prints figures; asserts nothing about time.
 *
 * Models: a random-weight GPT-2-small-shaped checkpoint (124M parameters, made by
 * bench/torch_bench.py under bench/out/, not committed) and the small reference fixtures.
 */
import '../src/cli/relaxed-simd'; // first: before the engine loads
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { allHookNames, dirSource, disposeResult, generate, loadModel, type Model } from '../src/engine/node';

const ROOT = join(import.meta.dirname, '..');
const PYTHON = '/usr/bin/python3';
const GPT2_SMALL = join(ROOT, 'bench/out/gpt2-small-random');
const STORIES = join(ROOT, '../shared/reference/stories260K');
// The GPT-2-small shape, and the small externally trained Llama reference
// (when ../shared is here: it is on the team's machines and in CI).
const MODELS = [GPT2_SMALL, ...(existsSync(STORIES) ? [STORIES] : [])];
const PROMPT = 64;
const DECODE = 32;
const RUNS = 7;

interface Figures {
  forward64_ms: number;
  decode_tok_s: number;
  forward64_full_cache_ms: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeIt(fn: () => Promise<void> | void, runs = RUNS): Promise<number> {
  await fn(); // warm-up: kernels compiled, weights packed
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

function promptOf(model: Model): number[] {
  return Array.from({ length: PROMPT }, (_, i) => (i * 7919 + 13) % model.spec.vocabSize);
}

export async function measureEngine(model: Model): Promise<Figures> {
  const prompt = promptOf(model);
  const forward = async (cache?: readonly string[]) => {
    const r = model.run(prompt, { logits: 'last', cache: cache as never });
    await r.logits!.data(); // wait for the device, as a real caller does
    disposeResult(r);
  };
  const forward64 = await timeIt(() => forward());
  const full = await timeIt(() => forward(allHookNames(model.spec)));
  let decodeMs = 0;
  await timeIt(async () => {
    let start = 0;
    await generate(model, prompt, {
      maxTokens: DECODE + 1,
      stopTokens: [],
      // The first token comes from the prompt pass; time only the decode steps after it.
      onToken: (_id, i) => {
        if (i === 0) start = performance.now();
      },
    });
    decodeMs = performance.now() - start;
  }, 3);
  return { forward64_ms: forward64, decode_tok_s: (DECODE / decodeMs) * 1000, forward64_full_cache_ms: full };
}

function torchFigures(models: string[]): Record<string, Figures> | undefined {
  try {
    const out = execFileSync(
      PYTHON,
      ['bench/torch_bench.py', ...models.flatMap((m) => ['--model', m]), '--json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    return JSON.parse(out).models;
  } catch (e) {
    console.error(
      `PyTorch baseline unavailable (${(e as Error).message.split('\n')[0]}); install python3-torch.`,
    );
    return undefined;
  }
}

function row(cells: (string | number)[]): string {
  return cells
    .map((c, i) => String(typeof c === 'number' ? c.toFixed(c >= 100 ? 0 : 2) : c).padStart(i ? 14 : 22))
    .join('');
}

async function main() {
  if (!existsSync(join(GPT2_SMALL, 'config.json'))) {
    console.error('Making the random GPT-2-small checkpoint (once)...');
    execFileSync(PYTHON, ['bench/torch_bench.py', '--make-model', GPT2_SMALL], {
      cwd: ROOT,
      stdio: 'inherit',
    });
  }
  await tf.setBackend('wasm');
  await tf.ready();
  console.log(
    `tfjs ${tf.version_core} on ${tf.getBackend()} (SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? 'yes' : 'no'})`,
  );
  const rudder: Record<string, Figures> = {};
  for (const dir of MODELS) {
    const model = await loadModel(dirSource(dir));
    rudder[dir] = await measureEngine(model);
    model.dispose();
  }
  const torch = torchFigures(MODELS);
  console.log(`\n${row(['model', 'forward64 ms', 'decode tok/s', 'full cache ms', 'cache/plain'])}`);
  for (const dir of MODELS) {
    const name = dir.split('/').pop()!;
    const r = rudder[dir]!;
    console.log(
      row([
        `${name} rudder`,
        r.forward64_ms,
        r.decode_tok_s,
        r.forward64_full_cache_ms,
        r.forward64_full_cache_ms / r.forward64_ms,
      ]),
    );
    const t = torch?.[dir];
    if (t) {
      console.log(
        row([
          `${name} pytorch`,
          t.forward64_ms,
          t.decode_tok_s,
          t.forward64_full_cache_ms,
          t.forward64_full_cache_ms / t.forward64_ms,
        ]),
      );
      console.log(
        row([
          `${name} rudder/torch`,
          `${(t.forward64_ms / r.forward64_ms).toFixed(2)}x spd`,
          `${(r.decode_tok_s / t.decode_tok_s).toFixed(2)}x spd`,
          '',
          '',
        ]),
      );
    }
  }
  console.log(
    '\nTargets (issue 2): decode on GPT-2-small >= 1/3 of PyTorch; full cache < 1.5x a plain forward.',
  );
}

await main();
