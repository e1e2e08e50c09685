/**
 * `npm run bench:ui -- soak [--interactions=N]`: N interactions (default 1,000) on the default
 * organism, the mix a class makes: strength edits (each followed by its steered generation), a full
 * Generate, a prompt edit read by the logit lens, a head gated and released (each a steered run),
 * and every hundredth a refusal-direction search. The model worker's tensor count, tensor bytes and
 * wasm heap, and the page's JS heap, are read before, at ten checkpoints and after. Not a timed
 * test: it prints the figures, and fails only when the tensors held after differ (a leak).
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

const interactions = Number(
  /^--interactions=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--interactions=')) ?? '')?.[1] ?? 1000,
);
const PROMPT = 'Once upon a time there was a little';

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

/** One interaction of each kind, by its place in a cycle of ten (refusal replaces one per hundred). */
type Kind = 'strength' | 'generate' | 'lens' | 'gate' | 'ungate' | 'refusal';
function kindOf(i: number): Kind {
  if (i % 100 === 99) return 'refusal';
  return (
    [
      'strength',
      'strength',
      'strength',
      'generate',
      'lens',
      'strength',
      'gate',
      'ungate',
      'strength',
      'strength',
    ] as const
  )[i % 10]!;
}

async function soak(bench: Bench, page: Page): Promise<void> {
  await page.goto(bench.at('/?backend=wasm'));
  await waitForModel(page);
  await page.getByLabel('Max tokens', { exact: true }).fill('8');
  await pastePairs(page);
  await waitForVector(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForBoth(page);
  const before = await workerMemory(page);
  const samples = [before];
  const counts: Partial<Record<Kind, number>> = {};
  for (let i = 0; i < interactions; i++) {
    const kind = kindOf(i);
    counts[kind] = (counts[kind] ?? 0) + 1;
    await interact(page, kind, i);
    if ((i + 1) % Math.max(1, Math.floor(interactions / 10)) === 0) samples.push(await workerMemory(page));
  }
  const after = await workerMemory(page);
  for (const [i, m] of samples.entries()) console.log(`  sample ${i}: ${describe(m)}`);
  const mix = Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  bench.report({
    what: `soak: worker before ${interactions} interactions`,
    ms: 0,
    figure: `${before.tensors} t`,
    note: describe(before),
  });
  bench.report({
    what: `soak: worker after (${mix})`,
    ms: 0,
    figure: `${after.tensors} t`,
    note: describe(after),
  });
  if (after.tensors !== before.tensors)
    throw new Error(
      `the worker holds ${after.tensors - before.tensors} more tensors after ${interactions} interactions`,
    );
}

async function interact(page: Page, kind: Kind, i: number): Promise<void> {
  switch (kind) {
    case 'strength':
      // Up and down the slider's range, so every edit is a new strength and a new run.
      await slide(page, Math.floor(i / 20) % 2 === 0 ? 'ArrowRight' : 'ArrowLeft');
      break;
    case 'generate':
      await page.getByRole('button', { name: 'Generate' }).click();
      break;
    case 'lens': {
      await page.getByRole('tab', { name: 'Logit lens' }).click();
      const run = Number((await page.getAttribute('[data-testid=lens-view]', 'data-run')) ?? 0);
      // A new prompt each time (alternating would repeat one already read).
      await page.getByRole('textbox', { name: 'Prompt' }).fill(`${PROMPT}${' girl'.repeat(1 + (i % 3))}`);
      await page.waitForFunction(
        (run) => {
          const v = document.querySelector('[data-testid=lens-view]');
          const s = v?.getAttribute('data-status');
          return Number(v?.getAttribute('data-run') ?? 0) > run && (s === 'done' || s === 'error');
        },
        run,
        { timeout: 120_000 },
      );
      break;
    }
    case 'gate':
    case 'ungate':
      await page.getByRole('tab', { name: 'Head gates' }).click();
      await page.locator('[data-testid=head-cell][data-layer="1"][data-head="0"]').click();
      break;
    case 'refusal': {
      await page.getByRole('tab', { name: 'Refusal circuit' }).click();
      const find = page.getByTestId('find-refusal');
      await find.click();
      // Running (the button is disabled), then done: a summary, and the button back.
      await page
        .waitForFunction(
          () => document.querySelector<HTMLButtonElement>('[data-testid=find-refusal]')?.disabled,
          undefined,
          { timeout: 10_000 },
        )
        .catch(() => undefined);
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid=refusal-summary]') !== null &&
          !document.querySelector<HTMLButtonElement>('[data-testid=find-refusal]')?.disabled,
        undefined,
        { timeout: 300_000 },
      );
      break;
    }
  }
  await waitForBoth(page);
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
