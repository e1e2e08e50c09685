/**
 * Issue 12's figures in the page (`npm run bench:ui -- real`; minutes, so it runs only when
 * named): random-weight checkpoints in the published shapes of GPT-2 124M, SmolLM2-135M,
 * Qwen2.5-0.5B and Llama-3.2-1B (scripts/real-shapes.ts, written into bench/out/real-shapes on
 * first use) served by the local Hub stand-in, each loaded by its repo id in a fresh browser
 * context (empty cache) on WebAssembly. For each: download + load, the tab's memory, a vector
 * build from the standard pairs, a prompt edit to the lens updated (full vocabulary), and slider
 * release to the first and 40th steered token. A model the page refuses (too large for the tab)
 * gets its refusal printed instead. `--shapes=gpt2,qwen` measures only the shapes named (by key).
 */
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { REAL_SHAPES, shapeFolder, writeRealShape } from '../../scripts/real-shapes';
import { pastePairs, waitForVector } from '../../tests/e2e/support/steer';
import { startHubServer } from '../../tests/support/hub-server';
import { type Bench, median, register, spread } from './harness';
import { settle, timed } from './lens';
import { READY_RECORDER, timeSlider } from './steer';

const OUT = resolve(import.meta.dirname, '../out/real-shapes');
const LENS_RUNS = 3;
const only = process.argv
  .find((a) => a.startsWith('--shapes='))
  ?.slice('--shapes='.length)
  .split(',');
const SHAPES = REAL_SHAPES.filter((s) => !only || only.includes(s.key));
const PROMPT = 'Once upon a time there was a little girl who lived in a small house near the forest, and';

register(
  'real',
  async (bench) => {
    for (const shape of SHAPES) {
      const t0 = Date.now();
      writeRealShape(OUT, shape);
      console.log(`${shape.repo}: checkpoint ready (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    const hub = await startHubServer({
      repos: Object.fromEntries(SHAPES.map((s) => [s.repo, shapeFolder(OUT, s)])),
    });
    try {
      for (const shape of SHAPES) {
        console.log(`\n## ${shape.repo}`);
        const context = await bench.browser.newContext({ viewport: { width: 1366, height: 900 } });
        // tsx names functions through an `__name` helper that functions serialised into the page lack.
        await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
        try {
          const page = await context.newPage();
          await page.addInitScript(READY_RECORDER);
          await measureOne(
            bench,
            page,
            shape.key,
            bench.at(`/?backend=wasm&hub=${encodeURIComponent(hub.url)}&model=${shape.repo}`),
          );
        } catch (e) {
          console.error(`${shape.repo} failed: ${(e as Error).message}`);
          bench.report({
            what: `${shape.key}: failed`,
            ms: Number.NaN,
            figure: 'failed',
            note: (e as Error).message.slice(0, 160),
          });
        } finally {
          await context.close();
        }
      }
    } finally {
      await hub.close();
    }
  },
  { onlyWhenNamed: true },
);

async function measureOne(bench: Bench, page: Page, key: string, url: string): Promise<void> {
  const memory: number[] = [];
  const sample = async () => {
    const bytes = await tabMemory(page);
    if (bytes !== undefined) memory.push(bytes);
  };
  await page.goto(url);
  await page.waitForFunction(
    () =>
      (document.querySelector('[data-testid=model-info]') &&
        !document.querySelector('[data-testid=loading]')) ||
      document.querySelector('[data-testid=load-error]'),
    undefined,
    { timeout: 15 * 60_000 },
  );
  const refusal = await page
    .locator('[data-testid=load-error]')
    .textContent({ timeout: 100 })
    .catch(() => null);
  if (refusal) {
    bench.report({
      what: `${key}: refused`,
      ms: Number.NaN,
      figure: 'refused',
      note: refusal.replace(/\s+/g, ' '),
    });
    return;
  }
  const readyAt = await page.evaluate(() => (window as unknown as { __readyAt: number }).__readyAt);
  bench.report({ what: `${key}: download + load (local Hub, empty cache)`, ms: readyAt });
  await sample();

  const v0 = Date.now();
  await pastePairs(page);
  await waitForVector(page, 15 * 60_000);
  bench.report({ what: `${key}: vector build (4 pairs, every layer)`, ms: Date.now() - v0 });
  await sample();

  await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
  await settle(page, 15 * 60_000);
  const lens: number[] = [];
  for (let i = 0; i < LENS_RUNS; i++)
    lens.push(await timed(page, 'prompt', i % 2 === 0 ? `${PROMPT} then` : PROMPT, 15 * 60_000));
  bench.report({
    what: `${key}: prompt edit → lens updated`,
    ms: median(lens),
    target: 1500,
    note: spread(lens),
  });
  await sample();

  await timeSlider(bench, page, { label: key, firstTarget: 1000, slides: 3 });
  await sample();
  bench.report({
    what: `${key}: tab memory, largest sample`,
    ms: Number.NaN,
    figure: memory.length ? `${(Math.max(...memory) / 2 ** 20).toFixed(0)} MiB` : 'n/a',
    note: memory.length
      ? `performance.measureUserAgentSpecificMemory() after load, vector, lens and steering: ${memory.map((m) => (m / 2 ** 20).toFixed(0)).join(', ')} MiB`
      : 'performance.measureUserAgentSpecificMemory() unavailable (needs a cross-origin isolated page)',
  });
}

/** The page's memory with its workers, or undefined where the API is missing or slow. */
async function tabMemory(page: Page): Promise<number | undefined> {
  return page.evaluate(async () => {
    const perf = performance as Performance & {
      measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }>;
    };
    if (!crossOriginIsolated || !perf.measureUserAgentSpecificMemory) return undefined;
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 30_000));
    const m = await Promise.race([perf.measureUserAgentSpecificMemory(), timeout]);
    return m?.bytes;
  });
}
