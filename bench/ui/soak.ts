/**
 * `npm run bench:ui -- soak [--edits=N]`: N strength edits on the default organism, each followed by
 * its steered generation (and a full Generate every tenth), with the model worker's tensor count,
 * tensor bytes and JS heap read before, along the way and after. Not a timed test: it prints the
 * figures, and fails only when the tensors held after the run differ from before it (a leak).
 */
import type { Page } from 'playwright-core';
import { waitForModel } from '../../tests/e2e/support/app';
import { pastePairs, slide, waitForBoth, waitForVector } from '../../tests/e2e/support/steer';
import { type Bench, register } from './harness';

interface WorkerMemory {
  readonly tensors: number;
  readonly tensorBytes: number;
  readonly jsHeapBytes?: number;
}

const edits = Number(
  /^--edits=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--edits=')) ?? '')?.[1] ?? 200,
);

register(
  'soak',
  async (bench) => {
    const page = await bench.browser.newPage({ viewport: { width: 1366, height: 768 } });
    try {
      await soak(bench, page);
    } finally {
      await page.close();
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

async function workerMemory(page: Page): Promise<WorkerMemory> {
  for (const worker of page.workers()) {
    if ((await worker.evaluate(() => self.name).catch(() => '')) !== 'rudder-model') continue;
    return worker.evaluate(() => (self as unknown as { rudderMemory: () => WorkerMemory }).rudderMemory());
  }
  throw new Error('no rudder-model worker on the page');
}

function describe(m: WorkerMemory): string {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${m.tensors} tensors, ${mb(m.tensorBytes)} in tensors, JS heap ${m.jsHeapBytes === undefined ? 'n/a' : mb(m.jsHeapBytes)}`;
}
