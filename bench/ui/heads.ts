/**
 * Issue 7's head-colour bar on the default organism: from a prompt edit to the head grid showing
 * the new scores (painted), for each measure, on a prompt of about 40 tokens. Timed inside the
 * page, as the lens module does.
 */
import type { Page } from 'playwright-core';
import { waitForModel } from '../../tests/e2e/support/app';
import { median, register, spread } from './harness';

const RUNS = 7;
const PROMPT =
  'Once upon a time there was a little girl who lived in a small house near the forest. Every morning she walked to the river with her dog, and';

/** Makes one prompt edit; resolves with the ms until the grid shows scores for it, and the worker's ms. */
async function timed(page: Page, value: string): Promise<{ ms: number; worker: number }> {
  const r = await page.evaluate(
    (value) =>
      new Promise<{ ms: number; worker: number }>((resolve, reject) => {
        const view = document.querySelector('[data-testid=heads-grid-wrap]')!;
        const before = Number(view.getAttribute('data-run'));
        let t0 = 0;
        const obs = new MutationObserver(() => {
          if (Number(view.getAttribute('data-run')) <= before || view.getAttribute('data-status') !== 'done')
            return;
          obs.disconnect();
          requestAnimationFrame(() =>
            resolve({ ms: performance.now() - t0, worker: Number(view.getAttribute('data-ms')) }),
          );
        });
        obs.observe(view, { attributes: true });
        setTimeout(() => reject(new Error('no head scores within 30 s')), 30_000);
        const box = document.querySelector<HTMLTextAreaElement>('textarea[aria-label=Prompt]')!;
        const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
        t0 = performance.now();
        set.call(box, value);
        box.dispatchEvent(new Event('input', { bubbles: true }));
      }),
    value,
  );
  await page.waitForTimeout(300);
  return r;
}

register('heads', async (bench) => {
  const context = await bench.browser.newContext({ viewport: { width: 1366, height: 900 } });
  // tsx names functions through an `__name` helper that functions serialised into the page lack.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  try {
    const page = await context.newPage();
    await page.goto(bench.at('/'));
    await waitForModel(page);
    await page.getByRole('tab', { name: 'Head gates' }).click();
    let n = 0;
    for (const m of ['dla', 'entropy', 'patch']) {
      await page.getByLabel('Colour heads by').selectOption(m);
      await page.waitForFunction(
        () => document.querySelector('[data-testid=heads-grid-wrap]')?.getAttribute('data-status') === 'done',
        undefined,
        { timeout: 120_000 },
      );
      const ms: number[] = [];
      const worker: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        // Every edit is a new prompt (alternating would repeat the one already scored).
        const r = await timed(page, `${PROMPT}${' and'.repeat(++n % 3)}`);
        ms.push(r.ms);
        worker.push(r.worker);
      }
      bench.report({
        what: `prompt edit → head colours (${m})`,
        ms: median(ms),
        target: 200,
        note: `${spread(ms)}; worker ${Math.round(median(worker))} ms`,
      });
    }
    await page.close();
  } finally {
    await context.close();
  }
});
