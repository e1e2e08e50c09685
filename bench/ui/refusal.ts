/**
 * Issue 7's refusal bar on the default organism: "Find the refusal direction" from the click to
 * the candidates chart on screen (METHODS.md §5 end to end: data filter, candidates, every
 * candidate scored), and tracing the circuit (§9), each timed inside the page from the click to
 * the result painted. The worker's own time is printed beside it.
 */
import type { Page } from 'playwright-core';
import { waitForModel } from '../../tests/e2e/support/app';
import { median, register, spread } from './harness';

const RUNS = 3;

register('refusal', async (bench) => {
  const context = await bench.browser.newContext({ viewport: { width: 1366, height: 1000 } });
  // tsx names functions through an `__name` helper that functions serialised into the page lack.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  try {
    const page = await context.newPage();
    await page.goto(bench.at('/'));
    const id = await waitForModel(page);
    await page.getByRole('tab', { name: 'Refusal circuit' }).click();
    console.log(`model: ${id}; ${RUNS} runs`);
    const find: number[] = [];
    const worker: number[] = [];
    let stages = '';
    for (let i = 0; i < RUNS; i++) {
      find.push(await timed(page, 'find-refusal', 'refusal-summary', 'candidates-chart'));
      worker.push(Number(await page.getByTestId('refusal-summary').getAttribute('data-ms')));
      stages = (await page.getByTestId('refusal-summary').getAttribute('data-stages')) ?? '';
    }
    const summary = (await page.getByTestId('refusal-summary').locator('p').first().textContent()) ?? '';
    bench.report({
      what: 'find the refusal direction (click → chart)',
      ms: median(find),
      target: 20_000,
      note: `${spread(find)}; worker ${Math.round(median(worker))} ms (${stages}); ${summary.slice(0, 50)}…`,
    });
    const circuit = await timed(page, 'trace-circuit', 'circuit-graph', 'circuit-graph');
    bench.report({ what: 'trace the refusal circuit (click → graph)', ms: circuit, note: '1 run' });
    await page.close();
  } finally {
    await context.close();
  }
});

/**
 * Clicks `button` and waits, inside the page, until it has been busy (disabled) and is free again
 * with `result` and `chart` on screen; fails on an error the view shows.
 */
async function timed(page: Page, button: string, result: string, chart: string): Promise<number> {
  return page.evaluate(
    async ([button, result, chart]) => {
      const b = document.querySelector(`[data-testid=${button}]`) as HTMLButtonElement;
      const started = performance.now();
      b.click();
      let busy = false;
      await new Promise<void>((done, fail) => {
        const tick = () => {
          busy ||= b.disabled;
          const err = document.querySelector('.refusal-view .error-text');
          if (err) fail(new Error(err.textContent ?? 'failed'));
          else if (
            busy &&
            !b.disabled &&
            document.querySelector(`[data-testid=${result}]`) &&
            document.querySelector(`[data-testid=${chart}]`)
          )
            done();
          else requestAnimationFrame(tick);
        };
        tick();
      });
      return performance.now() - started;
    },
    [button, result, chart] as const,
  );
}
