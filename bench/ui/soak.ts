/**
 * `npm run bench:ui -- soak [--edits=N]`: N strength edits on the default organism, each followed by
 * its steered generation (and a full Generate every tenth), with the model worker's tensor count,
 * tensor bytes and wasm heap, and the page's JS heap, read before, along the way and after. Not a
 * timed test: it prints the figures, and fails only when the tensors held after differ (a leak).
 */
import type { Page } from 'playwright-core';
import { waitForModel } from '../../tests/e2e/support/app';
import { pastePairs, slide, waitForBoth, waitForVector } from '../../tests/e2e/support/steer';
import { type Bench, register } from './harness';

interface Memory {
  /** The model worker's (self.rudderMemory): tensors held, their bytes, the wasm heap's size. */
  readonly tensors: number;
  readonly tensorBytes: number;
  readonly wasmHeapBytes?: number;
  /** The page's JS heap in use (Chromium's performance.memory). */
  readonly pageHeapBytes?: number;
}

const edits = Number(
  /^--edits=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--edits=')) ?? '')?.[1] ?? 200,
);

register(
  'soak',
  async (bench) => {
    const context = await bench.browser.newContext({ viewport: { width: 1366, height: 768 } });
    // tsx names functions through an `__name` helper that functions serialised into the page lack.
    await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
    try {
      await soak(bench, await context.newPage());
    } finally {
      await context.close();
    }
  },
  { onlyWhenNamed: true },
);

async function soak(bench: Bench, page: Page): Promise<void> {
  await page.goto(`${bench.url}/?backend=wasm`);
  await waitForModel(page);
  await page.getByLabel('Max tokens', { exact: true }).fill('8');
  await pastePairs(page);
  await waitForVector(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForBoth(page);
  const before = await workerMemory(page);
  const samples = [before];
  // Up and down the slider's range, so every edit is a new strength and a new run.
  for (let i = 0; i < edits; i++) {
    await slide(page, Math.floor(i / 20) % 2 === 0 ? 'ArrowRight' : 'ArrowLeft');
    if (i % 10 === 9) await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    if ((i + 1) % Math.max(1, Math.floor(edits / 10)) === 0) samples.push(await workerMemory(page));
  }
  const after = await workerMemory(page);
  for (const [i, m] of samples.entries()) console.log(`  sample ${i}: ${describe(m)}`);
  bench.report({
    what: `soak: worker before ${edits} edits`,
    ms: 0,
    figure: `${before.tensors} t`,
    note: describe(before),
  });
  bench.report({
    what: `soak: worker after ${edits} edits`,
    ms: 0,
    figure: `${after.tensors} t`,
    note: describe(after),
  });
  if (after.tensors !== before.tensors)
    throw new Error(`the worker holds ${after.tensors - before.tensors} more tensors after ${edits} edits`);
}

async function workerMemory(page: Page): Promise<Memory> {
  const pageHeapBytes = await page.evaluate(
    () => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize,
  );
  for (const worker of page.workers()) {
    if ((await worker.evaluate(() => self.name).catch(() => '')) !== 'rudder-model') continue;
    const inWorker = await worker.evaluate(() =>
      (self as unknown as { rudderMemory: () => Memory }).rudderMemory(),
    );
    return { ...inWorker, ...(pageHeapBytes === undefined ? {} : { pageHeapBytes }) };
  }
  throw new Error('no rudder-model worker on the page');
}

function describe(m: Memory): string {
  const mb = (n: number | undefined) => (n === undefined ? 'n/a' : `${(n / 2 ** 20).toFixed(1)} MB`);
  return `${m.tensors} tensors (${mb(m.tensorBytes)}), wasm heap ${mb(m.wasmHeapBytes)}, page JS heap ${mb(m.pageHeapBytes)}`;
}
