/**
 * Issue 6's speed bars on the default organism: page load to a ready model from cache (a second
 * visit), and from releasing the strength slider to the first steered token and to 40 steered
 * tokens. Times are taken inside the page (performance.now()), so Playwright's round trips do
 * not count.
 */
import type { BrowserContext, Page, Response } from 'playwright-core';
import { waitForModel } from '../../tests/e2e/support/app';
import { pastePairs, waitForBoth, waitForVector } from '../../tests/e2e/support/steer';
import { type Bench, median, register, spread } from './harness';

const VISITS = 5;
const SLIDES = 7;
const TOKENS = 40;

register('steer', async (bench) => {
  const context = await bench.browser.newContext({ viewport: { width: 1366, height: 768 } });
  // tsx names functions through an `__name` helper that functions serialised into the page lack.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  try {
    await loadFromCache(bench, context);
    await slider(bench, context);
  } finally {
    await context.close();
  }
});

/** Records when the page first shows a loaded model, measured from navigation start. */
export const READY_RECORDER = () => {
  const w = window as unknown as { __readyAt?: number };
  const check = () => {
    if (w.__readyAt !== undefined) return;
    if (
      document.querySelector('[data-testid=model-info]') &&
      !document.querySelector('[data-testid=loading]')
    )
      w.__readyAt = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true });
};

async function loadFromCache(bench: Bench, context: BrowserContext): Promise<void> {
  const first = await context.newPage();
  await first.goto(bench.at('/'));
  const id = await waitForModel(first);
  // Let the live views finish their own first reads (the tuned lens), so that they are cached too.
  await first.waitForTimeout(3000);
  await first.close();
  console.log(`model: ${id} (first visit done; its files are in Cache Storage now)`);

  const times: number[] = [];
  const network: string[] = [];
  const countWeights = (r: Response) => {
    if (r.status() === 200 && /\/models\/.*\.safetensors/.test(r.url()))
      network.push(r.url().replace(bench.url, ''));
  };
  context.on('response', countWeights);
  for (let i = 0; i < VISITS; i++) {
    const page = await context.newPage();
    await page.addInitScript(READY_RECORDER);
    await page.goto(bench.at('/'));
    await waitForModel(page);
    times.push(await page.evaluate(() => (window as unknown as { __readyAt: number }).__readyAt));
    await page.close();
  }
  context.off('response', countWeights);
  bench.report({
    what: 'page load to a ready model, from cache',
    ms: median(times),
    target: 3000,
    note: `${spread(times)}; weights downloaded on these visits: ${network.length ? `${network.length} (${[...new Set(network)].join(', ')})` : 'none'}`,
  });
}

interface Marks {
  t0?: number;
  first?: number;
  last?: number;
  tokens?: number;
}

/** In the page: stamps the slider's release (`change`) and the steered side's tokens. */
const SLIDE_RECORDER = (target: number) => {
  const w = window as unknown as { __marks: Marks; __recorder?: MutationObserver };
  w.__marks = {};
  const slider = document.querySelector<HTMLInputElement>('input[type=range][aria-label=Strength]')!;
  slider.addEventListener('change', () => (w.__marks = { t0: performance.now() }), { once: true });
  w.__recorder?.disconnect();
  w.__recorder = new MutationObserver(() => {
    const m = w.__marks;
    if (m.t0 === undefined || m.last !== undefined) return;
    const panel = document.querySelector('[data-testid=steered-panel]');
    const status = panel?.getAttribute('data-status');
    const text = document.querySelector('[data-testid=steered-text]')?.textContent ?? '';
    const coef = document.querySelector('[data-testid=coefficient]')?.textContent ?? '';
    const fresh = panel?.querySelector('h2')?.getAttribute('data-strength') === coef;
    if (!fresh || (status !== 'running' && status !== 'done')) return;
    const now = performance.now();
    if (m.first === undefined && text.length > 0) m.first = now;
    const stats = document.querySelector('[data-testid=steered-stats]')?.textContent ?? '';
    const n = Number(/(\d+) tokens/.exec(stats)?.[1] ?? 0);
    if (m.first !== undefined && (n >= target || status === 'done')) {
      m.last = now;
      m.tokens = n;
    }
  });
  w.__recorder.observe(document.body, { subtree: true, childList: true, characterData: true });
};

async function slider(bench: Bench, context: BrowserContext): Promise<void> {
  const page = await context.newPage();
  await page.goto(bench.at('/'));
  await waitForModel(page);
  await pastePairs(page);
  await waitForVector(page);
  await timeSlider(bench, page);
  await page.close();
}

/**
 * On a page with a loaded model and a built vector: generates once, then times slider releases
 * to the first and to the 40th steered token. `label` prefixes the rows and `firstTarget`
 * replaces the first-token bar (the organisms' is 150 ms).
 */
export async function timeSlider(
  bench: Bench,
  page: Page,
  opts: { label?: string; firstTarget?: number; slides?: number } = {},
): Promise<void> {
  const label = opts.label ? `${opts.label}: ` : '';
  await page.getByLabel('Max tokens', { exact: true }).fill(String(TOKENS));
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForBoth(page);

  const first: number[] = [];
  const all: number[] = [];
  const counts: number[] = [];
  const worker: number[] = [];
  // Clicks on the track: press and release at a point, alternating sides of zero.
  const spots = [0.8, 0.25, 0.7, 0.35, 0.9, 0.15, 0.65, 0.3];
  for (let i = 0; i < (opts.slides ?? SLIDES); i++) {
    await page.evaluate(SLIDE_RECORDER, TOKENS);
    await clickTrack(page, spots[i % spots.length]!);
    await page
      .waitForFunction(
        () => (window as unknown as { __marks: Marks }).__marks.last !== undefined,
        undefined,
        {
          timeout: 60_000,
        },
      )
      .catch(async (e) => {
        const state = await page.evaluate(() => ({
          marks: (window as unknown as { __marks: Marks }).__marks,
          status: document.querySelector('[data-testid=steered-panel]')?.getAttribute('data-status'),
          heading: document.querySelector('[data-testid=steered-panel] h2')?.textContent,
          coef: document.querySelector('[data-testid=coefficient]')?.textContent,
          stats: document.querySelector('[data-testid=steered-stats]')?.textContent,
        }));
        throw new Error(`no steered tokens after the slider moved: ${JSON.stringify(state)} (${e})`);
      });
    const m = await page.evaluate(() => (window as unknown as { __marks: Marks }).__marks);
    await waitForBoth(page);
    // The steered side's own figure: the worker's time from its start to its last token.
    const stats = (await page.getByTestId('steered-stats').textContent()) ?? '';
    worker.push(Number(/ in ([\d.]+) s/.exec(stats)?.[1] ?? Number.NaN) * 1000);
    first.push(m.first! - m.t0!);
    all.push(m.last! - m.t0!);
    counts.push(m.tokens ?? 0);
  }
  const n = Math.min(...counts);
  bench.report({
    what: `${label}slider release to the first steered token`,
    ms: median(first),
    target: opts.firstTarget ?? 150,
    note: spread(first),
  });
  bench.report({
    what: `${label}slider release to ${TOKENS} steered tokens`,
    ms: median(all),
    target: opts.label ? undefined : 1500,
    note: `${spread(all)}${n < TOKENS ? `; some runs ended early (fewest tokens: ${n})` : ''}`,
  });
  bench.report({
    what: `${label}  of which the worker generating them`,
    ms: median(worker),
    note: `${(TOKENS / (median(worker) / 1000)).toFixed(1)} tokens/s; the rest is the debounce, messages and rendering`,
  });
}

async function clickTrack(page: Page, at: number): Promise<void> {
  const slider = page.getByRole('slider', { name: 'Strength' });
  await slider.scrollIntoViewIfNeeded();
  const box = await slider.boundingBox();
  if (!box) throw new Error('the strength slider is not on screen');
  await page.mouse.click(box.x + box.width * at, box.y + box.height / 2);
}
