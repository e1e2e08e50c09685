/**
 * Issue 7's lens bar on the default organism: from an edit to the lens view showing the updated
 * grid (painted), for a prompt edit (baseline and steered grids recomputed) and for a strength
 * change (steered grid only; the baseline is cached), on a prompt of about 40 tokens. Timed inside
 * the page: the edit is dispatched and the answer awaited in one `evaluate`, so Playwright's round
 * trips do not count. Generation is not running (nothing was generated), so the lens has the
 * worker to itself.
 */
import type { Page } from 'playwright-core';
import { waitForModel } from '../../tests/e2e/support/app';
import { pastePairs, waitForVector } from '../../tests/e2e/support/steer';
import { median, register, spread } from './harness';

const RUNS = 9;
const PROMPT =
  'Once upon a time there was a little girl who lived in a small house near the forest. Every morning she walked to the river with her dog, and';

register('lens', async (bench) => {
  const context = await bench.browser.newContext({ viewport: { width: 1366, height: 900 } });
  // tsx names functions through an `__name` helper that functions serialised into the page lack.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  try {
    const page = await context.newPage();
    await page.goto(bench.at('/'));
    const id = await waitForModel(page);
    await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
    await pastePairs(page);
    await waitForVector(page);
    await settle(page);
    const positions = Number(
      /(\d+) positions/.exec((await page.getByTestId('lens-status').textContent()) ?? '')?.[1],
    );
    console.log(`model: ${id}; prompt of ${positions} tokens; ${RUNS} runs each`);

    const prompt: number[] = [];
    const promptWorker: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      prompt.push(await timed(page, 'prompt', i % 2 === 0 ? `${PROMPT} then` : PROMPT));
      promptWorker.push(await workerMs(page));
    }
    bench.report({
      what: `prompt edit → lens updated (${positions} tokens)`,
      ms: median(prompt),
      target: 200,
      note: `${spread(prompt)}; worker ${Math.round(median(promptWorker))} ms (both grids)`,
    });

    const strength: number[] = [];
    const strengthWorker: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      strength.push(await timed(page, 'strength', String(i % 2 === 0 ? 0.7 : 0.3)));
      strengthWorker.push(await workerMs(page));
    }
    bench.report({
      what: `strength edit → steered lens updated (${positions} tokens)`,
      ms: median(strength),
      target: 200,
      note: `${spread(strength)}; worker ${Math.round(median(strengthWorker))} ms (steered grid only)`,
    });
    await page.close();
  } finally {
    await context.close();
  }
});

/** The worker's own time for the last lens answer (the view's status line). */
export async function workerMs(page: Page): Promise<number> {
  const status = (await page.getByTestId('lens-status').textContent()) ?? '';
  return Number(/(\d+) ms/.exec(status)?.[1] ?? Number.NaN);
}

/** Waits until the lens has answered the current state and nothing more is pending. */
export async function settle(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => document.querySelector('[data-testid=lens-view]')?.getAttribute('data-status') === 'done',
    undefined,
    { timeout },
  );
  await page.waitForTimeout(300);
}

/**
 * In the page: makes one edit and resolves with the ms until the lens view shows an answer to it,
 * painted. `what` picks the edit: the prompt text, or the strength slider at a fraction of its range.
 */
export async function timed(
  page: Page,
  what: 'prompt' | 'strength',
  value: string,
  timeout = 30_000,
): Promise<number> {
  const ms = await page.evaluate(
    ([what, value, timeout]) =>
      new Promise<number>((resolve, reject) => {
        const view = document.querySelector('[data-testid=lens-view]')!;
        const before = Number(view.getAttribute('data-run'));
        const obs = new MutationObserver(() => {
          const run = Number(view.getAttribute('data-run'));
          if (run <= before || view.getAttribute('data-status') !== 'done') return;
          obs.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        });
        obs.observe(view, { attributes: true });
        setTimeout(() => reject(new Error(`no lens update within ${timeout / 1000} s`)), timeout);
        let t0: number;
        if (what === 'prompt') {
          const box = document.querySelector<HTMLTextAreaElement>('textarea[aria-label=Prompt]')!;
          const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
          t0 = performance.now();
          set.call(box, value);
          box.dispatchEvent(new Event('input', { bubbles: true }));
        } else {
          const slider = document.querySelector<HTMLInputElement>('input[type=range][aria-label=Strength]')!;
          const min = Number(slider.min);
          const max = Number(slider.max);
          const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
          t0 = performance.now();
          set.call(slider, String(min + (max - min) * Number(value)));
          slider.dispatchEvent(new Event('input', { bubbles: true }));
          slider.dispatchEvent(new Event('change', { bubbles: true }));
        }
      }),
    [what, value, timeout] as const,
  );
  await settle(page, timeout);
  return ms;
}
