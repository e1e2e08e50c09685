/**
 * `npm run bench:web`: Rudder's engine against onnxruntime-web in one headless Chromium, on the
 * GPT-2-small shape (124M parameters, seeded random weights, the same file for both): a 64-token
 * prompt pass (logits of the last position), greedy decode with a KV cache (tokens/s) and the
 * prompt pass with every hook point's activation returned. Each engine runs in its own worker;
 * calls alternate between them so that load from elsewhere on the machine falls on both.
 * Prints medians, the spread and the ratio Rudder/ORT (of times: below 1 is Rudder faster).
 *
 *   npm run bench:web [-- --rounds 9] [--threads 2,1] [--decode 32] [--profile] [--webgpu] [--bf16]
 *                     [--precision bfloat16]
 *
 * --bf16 runs a bfloat16 checkpoint instead (the same seeded weights rounded to bfloat16, stored as
 * BF16, as most checkpoints on the Hub are): Rudder holds its matrices in 16-bit panels, exactly;
 * onnxruntime-web runs the same values exported in float32.
 * --precision bfloat16 loads the float32 checkpoint into Rudder with 16-bit weights (its matrices
 * rounded as they load, the page's choice); onnxruntime-web runs the checkpoint's own values, so
 * the two compute slightly different numbers: a trade the page offers, not the same work.
 * --profile adds Rudder's per-kernel times (tf.profile) of one prompt pass, plain and with the
 * full cache. WebAssembly always runs; WebGPU runs too when the adapter is a hardware GPU, or
 * with --webgpu (on SwiftShader that only shows that it runs). Asserts nothing about time.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { createServer } from 'vite';
import { launch, watchPage } from '../../tests/e2e/support/browser';
import { serveFolder } from '../../vite.config';
import type { EngineName } from './page';
import { type BenchBackend, benchPrompt, type KernelRow, type WorkerInfo } from './protocol';

const REPO = resolve(import.meta.dirname, '../..');
const PYTHON = '/usr/bin/python3';
const VOCAB = 50257;

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    threads: { type: 'string', default: '2,1' },
    decode: { type: 'string', default: '32' },
    profile: { type: 'boolean', default: false },
    webgpu: { type: 'boolean', default: false },
    bf16: { type: 'boolean', default: false },
    precision: { type: 'string' },
  },
});
if (args.precision !== undefined && args.precision !== 'bfloat16')
  throw new Error(`--precision ${args.precision}: the one choice is bfloat16`);
const PRECISION = args.precision as 'bfloat16' | undefined;
const MODEL = join(REPO, `bench/out/gpt2-small-random${args.bf16 ? '-bf16' : ''}`);
const ROUNDS = Number(args.rounds);
const DECODE_STEPS = Number(args.decode);
const THREADS = args.threads.split(',').map(Number);

type Op = 'prefill' | 'decode' | 'fullCache';
const OPS: readonly Op[] = ['prefill', 'fullCache', 'decode'];
const ENGINES: readonly EngineName[] = ['rudder', 'ort'];

/** The checkpoint (bench/torch_bench.py makes it, shared with `npm run bench`) and its ONNX export. */
function prepareModel(): void {
  if (!existsSync(join(MODEL, 'config.json'))) {
    console.log('making the random GPT-2-small checkpoint (once)…');
    const make = ['bench/torch_bench.py', '--make-model', MODEL, ...(args.bf16 ? ['--bf16'] : [])];
    execFileSync(PYTHON, make, { cwd: REPO, stdio: 'inherit' });
  }
  execFileSync(PYTHON, ['bench/web/export_onnx.py', '--model', MODEL, '--out', join(MODEL, 'onnx')], {
    cwd: REPO,
    stdio: 'inherit',
  });
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Handle {
  readonly id: number;
  readonly info: WorkerInfo;
}

class Bench {
  constructor(private readonly page: Page) {}

  open(engine: EngineName, backend: BenchBackend, threads: number): Promise<Handle> {
    return this.page.evaluate(([e, b, t]) => window.rudderBench.open(e, b, t), [
      engine,
      backend,
      threads,
    ] as const);
  }

  async time(h: Handle, op: Op, prompt: number[]): Promise<number> {
    return this.page.evaluate(
      ([id, o, p, steps]) =>
        o === 'decode'
          ? window.rudderBench.call(id, 'decode', p, steps)
          : window.rudderBench.call(id, o as 'prefill', p),
      [h.id, op, prompt, DECODE_STEPS] as const,
    );
  }

  load(h: Handle): Promise<void> {
    return this.page.evaluate(([id, base, p]) => window.rudderBench.call(id, 'load', base, p), [
      h.id,
      `/bench-out/${basename(MODEL)}`,
      PRECISION,
    ] as const);
  }

  profile(h: Handle, prompt: number[], cache: boolean): Promise<KernelRow[]> {
    return this.page.evaluate(([id, p, c]) => window.rudderBench.call(id, 'profile', p, c), [
      h.id,
      prompt,
      cache,
    ] as const);
  }

  close(h: Handle): Promise<void> {
    return this.page.evaluate((id) => window.rudderBench.close(id), h.id);
  }
}

type Times = Record<EngineName, Record<Op, number[]>>;

async function runConfig(bench: Bench, backend: BenchBackend, threads: number): Promise<void> {
  const label = backend === 'wasm' ? `WebAssembly, ${threads} thread(s)` : 'WebGPU';
  console.log(`\n## ${label}`);
  const prompt = benchPrompt(VOCAB);
  const handles = {} as Record<EngineName, Handle>;
  const times: Times = {
    rudder: { prefill: [], decode: [], fullCache: [] },
    ort: { prefill: [], decode: [], fullCache: [] },
  };
  try {
    for (const e of ENGINES) {
      const t0 = performance.now();
      handles[e] = await bench.open(e, backend, threads);
      await bench.load(handles[e]);
      const { info } = handles[e];
      console.log(
        `${e}: ${info.version} on ${info.backend}${info.threads ? `, ${info.threads} thread(s)` : ''}, loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      for (const op of OPS) await bench.time(handles[e], op, prompt); // warm-up: kernels built, weights packed
    }
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first, so neither always runs right after the other.
      const order = r % 2 === 0 ? ENGINES : [...ENGINES].reverse();
      for (const op of OPS) {
        for (const e of order) {
          await sleep(100); // a thread pool that spins after its last job goes idle first
          times[e][op].push(await bench.time(handles[e], op, prompt));
        }
      }
      process.stdout.write(`round ${r + 1}/${ROUNDS}\r`);
    }
    printTable(label, times);
    if (args.profile) await printProfile(bench, handles.rudder, prompt);
  } finally {
    for (const h of Object.values(handles)) await bench.close(h);
  }
}

function printTable(label: string, t: Times): void {
  const fmt = (xs: number[], op: Op) => {
    const m = median(xs);
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    if (op === 'decode') {
      const tps = (ms: number) => ((DECODE_STEPS / ms) * 1000).toFixed(1);
      return `${tps(m)} tok/s (${tps(hi)}–${tps(lo)})`;
    }
    return `${m.toFixed(0)} ms (${lo.toFixed(0)}–${hi.toFixed(0)})`;
  };
  const what: Record<Op, string> = {
    prefill: '64-token prefill, last logits',
    fullCache: '64-token prefill, full activation cache',
    decode: `decode ${DECODE_STEPS} tokens after the prompt`,
  };
  console.log(`\n${label}: medians of ${ROUNDS} interleaved runs (min–max)`);
  console.log(
    `${'figure'.padEnd(42)}${'Rudder'.padStart(26)}${'onnxruntime-web'.padStart(26)}${'Rudder/ORT'.padStart(12)}`,
  );
  for (const op of OPS) {
    const ratio = median(t.rudder[op]) / median(t.ort[op]);
    console.log(
      `${what[op].padEnd(42)}${fmt(t.rudder[op], op).padStart(26)}${fmt(t.ort[op], op).padStart(26)}${ratio.toFixed(2).padStart(12)}`,
    );
  }
  const cost = (e: EngineName) => (median(t[e].fullCache) / median(t[e].prefill)).toFixed(2);
  console.log(
    `${'full cache / plain prefill'.padEnd(42)}${cost('rudder').padStart(26)}${cost('ort').padStart(26)}`,
  );
  console.log('(Rudder/ORT is a ratio of times, decode included: below 1, Rudder is faster.)');
}

async function printProfile(bench: Bench, h: Handle, prompt: number[]): Promise<void> {
  for (const cache of [false, true]) {
    await bench.profile(h, prompt, cache); // warm-up
    const rows = await bench.profile(h, prompt, cache);
    const total = rows.reduce((s, r) => s + r.ms, 0);
    const byKernel = new Map<string, { calls: number; ms: number }>();
    for (const r of rows) {
      const name = r.kernel.split(' ')[0]!;
      const k = byKernel.get(name) ?? { calls: 0, ms: 0 };
      k.calls += r.calls;
      k.ms += r.ms;
      byKernel.set(name, k);
    }
    console.log(
      `\nRudder kernels, one prompt pass${cache ? ' with the full cache' : ''}: ${total.toFixed(0)} ms in kernels`,
    );
    for (const [name, k] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14))
      console.log(
        `  ${name.padEnd(24)}${String(k.calls).padStart(6)} calls${k.ms.toFixed(1).padStart(9)} ms${((100 * k.ms) / total).toFixed(1).padStart(7)}%`,
      );
    console.log('  by kernel and input shapes:');
    for (const r of rows.slice(0, 12))
      console.log(
        `  ${r.kernel.padEnd(56)}${String(r.calls).padStart(5)} calls${r.ms.toFixed(1).padStart(9)} ms`,
      );
  }
}

async function main(): Promise<void> {
  prepareModel();
  const server = await createServer({
    configFile: resolve(REPO, 'vite.config.ts'),
    root: REPO,
    plugins: [serveFolder('/bench-out/', join(REPO, 'bench/out'))],
    // onnxruntime-web starts its threads from its own module URL: pre-bundling would move it.
    optimizeDeps: { exclude: ['onnxruntime-web'] },
    logLevel: 'warn',
    clearScreen: false,
    server: { host: 'localhost', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await server.listen();
  const url = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
  const browser = await launch({ webgpu: true });
  try {
    const page = await browser.newPage();
    const watch = watchPage(page);
    page.on('console', (m) => {
      if (m.type() === 'warning' || m.type() === 'error') console.log(`[page ${m.type()}] ${m.text()}`);
    });
    await page.goto(`${url}/bench/web/page.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    const gpu = await page.evaluate(() => window.rudderBench.hardwareGpu());
    console.log(
      `Chromium ${browser.version()}, ${cpus().length} cores (${cpus()[0]?.model}), load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    console.log(
      args.bf16
        ? 'weights: bfloat16 checkpoint (Rudder: 16-bit panels, exact; onnxruntime-web: the same values in float32)'
        : `weights: float32 checkpoint${PRECISION ? ' (Rudder: 16-bit weights, its matrices rounded to bfloat16 as they load; onnxruntime-web: the checkpoint as it is)' : ''}`,
    );
    const bench = new Bench(page);
    for (const threads of THREADS) await runConfig(bench, 'wasm', threads);
    if (gpu || args.webgpu) await runConfig(bench, 'webgpu', 1);
    else console.log('\nWebGPU: skipped (no hardware adapter; --webgpu runs it anyway).');
    console.log(
      `\nload average at the end: ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    if (watch.errors.length) console.log(`page errors:\n${watch.errors.join('\n')}`);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
