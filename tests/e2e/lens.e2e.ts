/**
 * The logit lens view on the shipped organism: the grid renders, its last layer at the last
 * position predicts what the model itself generates greedily, hovering lists the top tokens,
 * clicking tracks a token (its line is drawn), moving the strength slider changes the steered
 * grid while the baseline grid stays, and the exports are valid files. Once on WebAssembly and
 * once on WebGPU (SwiftShader).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { exported, generateAndWatch, HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { pastePairs, slide, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const PROMPT = 'Once upon a time there was a little';

/** Waits for a lens answer newer than run `after` (every edit bumps the run id). */
async function waitForLens(page: Page, after = 0, timeout = 120_000): Promise<number> {
  await page.waitForFunction(
    (after) => {
      const v = document.querySelector('[data-testid=lens-view]');
      const run = Number(v?.getAttribute('data-run') ?? 0);
      const s = v?.getAttribute('data-status');
      return run > after && (s === 'done' || s === 'error');
    },
    after,
    { timeout },
  );
  const err = await page.locator('[data-testid=lens-error]').count();
  if (err) throw new Error(`the lens failed: ${await page.getByTestId('lens-error').textContent()}`);
  return Number(await page.getAttribute('[data-testid=lens-view]', 'data-run'));
}

/** Every cell of the heatmap as shown: "row,pos,token id,value". */
async function cells(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=lens-cell]')
    .evaluateAll((cs) =>
      cs.map((c) =>
        ['data-row', 'data-pos', 'data-token-id', 'data-value'].map((a) => c.getAttribute(a)).join(),
      ),
    );
}

async function lastCell(page: Page): Promise<{ text: string; row: number; pos: number }> {
  return page.locator('[data-testid=lens-cell]').evaluateAll((cs) => {
    const rows = Math.max(...cs.map((c) => Number(c.getAttribute('data-row'))));
    const pos = Math.max(...cs.map((c) => Number(c.getAttribute('data-pos'))));
    const c = cs.find(
      (c) => c.getAttribute('data-row') === String(rows) && c.getAttribute('data-pos') === String(pos),
    )!;
    return { text: c.getAttribute('data-token-text') ?? '', row: rows, pos };
  });
}

async function chooseMode(page: Page, mode: 'Baseline' | 'Steered' | 'Difference'): Promise<void> {
  await page.getByRole('radio', { name: mode }).check();
  await page.waitForFunction(
    (m) => document.querySelector('[data-testid=lens-heatmap]')?.getAttribute('data-mode') === m,
    mode.toLowerCase(),
  );
}

/** The lens's prediction at the last layer and position, and the model's own greedy next token. */
async function lensAgreesWithGreedy(page: Page): Promise<{ lens: string; greedy: string }> {
  const before = Number((await page.getAttribute('[data-testid=lens-view]', 'data-run')) ?? 0);
  await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
  await waitForLens(page, before);
  await setField(page, 'Max tokens', '1');
  await setField(page, 'Temperature', '0');
  const { final } = await generateAndWatch(page);
  return { lens: (await lastCell(page)).text, greedy: final };
}

describe.skipIf(!HAS_ORGANISM)('the logit lens view', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('renders, agrees with the model, tracks a token, follows the slider and exports', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await waitForLens(page);

    const { lens, greedy } = await lensAgreesWithGreedy(page);
    expect(greedy.trim().length).toBeGreaterThan(0);
    expect(lens.trim()).toBe(greedy.trim());
    await screenshot(page, 'lens-baseline');

    // Hover: the tooltip lists the top tokens with their probabilities.
    const last = await lastCell(page);
    const cell = page.locator(`[data-testid=lens-cell][data-row="${last.row}"][data-pos="${last.pos}"]`);
    await cell.hover();
    const tooltip = page.getByTestId('lens-tooltip');
    await tooltip.waitFor();
    const items = await tooltip.locator('li').allTextContents();
    expect(items.length).toBe(5);
    for (const it of items) expect(it).toMatch(/\d+\.\d%$/);
    expect(items[0]).toContain(last.text.trim());
    await screenshot(page, 'lens-hover');

    // Click: the token is tracked and its line drawn across every layer.
    let run = Number(await page.getAttribute('[data-testid=lens-view]', 'data-run'));
    await cell.click();
    run = await waitForLens(page, run);
    await page.getByTestId('lens-track-chart').waitFor();
    const line = page.locator('[data-testid=lens-track-line][data-run=baseline]');
    const values = ((await line.getAttribute('data-values')) ?? '').split(' ').map(Number);
    expect(values.length).toBe(last.row + 1);
    for (const v of values) expect(v).toBeGreaterThanOrEqual(0);
    // At the last layer the tracked token is the top one: its probability is the cell's.
    expect(values.at(-1)).toBeGreaterThan(0);
    expect((await line.getAttribute('d'))?.match(/[ML]/g)?.length).toBe(last.row + 1);
    await screenshot(page, 'lens-tracked');

    // Steering: at strength 0 the steered grid is the baseline; moving the slider changes it only.
    await pastePairs(page);
    await waitForVector(page);
    run = await waitForLens(page, run);
    await chooseMode(page, 'Baseline');
    const baseline = await cells(page);
    await chooseMode(page, 'Steered');
    expect(await cells(page)).toEqual(baseline);
    await slide(page, 'End');
    run = await waitForLens(page, run);
    const steered = await cells(page);
    expect(steered).not.toEqual(baseline);
    expect(await page.locator('[data-testid=lens-track-line][data-run=steered]').count()).toBe(1);
    await chooseMode(page, 'Baseline');
    expect(await cells(page)).toEqual(baseline);
    await chooseMode(page, 'Difference');
    await page.getByLabel('Colour by').selectOption('kl');
    const deltas = (await cells(page)).map((c) => Number(c.split(',')[3]));
    expect(deltas.some((d) => d !== 0)).toBe(true);
    await screenshot(page, 'lens-difference');

    // The tuned lens: switchable where the model ships one that fits, else disabled with the reason.
    const tuned = page.getByRole('checkbox', { name: 'Tuned lens' });
    if (await tuned.isEnabled()) {
      run = Number(await page.getAttribute('[data-testid=lens-view]', 'data-run'));
      await tuned.check();
      await waitForLens(page, run);
      expect(await page.getByTestId('lens-status').textContent()).toMatch(/^Tuned lens/);
      await screenshot(page, 'lens-tuned');
      await tuned.uncheck();
    } else {
      const why = await page.locator('label', { has: tuned }).getAttribute('title');
      expect(why).toMatch(/tuned lens/i);
    }

    // Exports: a PNG, a parseable SVG and a CSV with its header.
    const png = await exported(page, 'logit-lens', 'PNG');
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const svg = (await exported(page, 'logit-lens', 'SVG')).toString('utf8');
    const parsed = await page.evaluate((text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      return {
        error: doc.querySelector('parsererror')?.textContent ?? null,
        cells: doc.querySelectorAll('[data-testid=lens-cell]').length,
        filled: [...doc.querySelectorAll('[data-testid=lens-cell]')].filter((c) => c.getAttribute('fill'))
          .length,
      };
    }, svg);
    expect(parsed.error).toBeNull();
    expect(parsed.cells).toBe(baseline.length);
    // Colours travel as presentation attributes: the PNG is drawn from this SVG as a blob: image,
    // which inherits the page's policy that blocks style="..." attributes.
    expect(parsed.filled).toBe(baseline.length);
    expect(svg).not.toMatch(/\sstyle="/);
    const csv = (await exported(page, 'logit-lens', 'CSV')).toString('utf8');
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header).toMatch(
      /^run,lens,layer,position,input_token,entropy,kl_to_final,top1_token,top1_id,top1_prob/,
    );
    expect(lines.length).toBe(2 * baseline.length); // baseline and steered
    const trackCsv = (await exported(page, 'lens-tracked-token', 'CSV')).toString('utf8');
    expect(trackCsv.split('\r\n')[0]).toBe(
      'layer,position,token_id,baseline_prob,baseline_rank,steered_prob,steered_rank',
    );
    const trackPng = await exported(page, 'lens-tracked-token', 'PNG');
    expect(trackPng.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('restores the lens settings from a link', async () => {
    const page = await browser.newPage();
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await waitForLens(page);
    await chooseMode(page, 'Difference');
    await page.getByLabel('Colour by').selectOption('entropy');
    await page.waitForFunction(() => location.hash.length > 1);
    await page.waitForTimeout(600); // the hash is written after a pause
    const link = page.url();
    const other = await browser.newPage();
    await other.goto(link);
    await waitForModel(other);
    await waitForLens(other);
    const heatmap = other.getByTestId('lens-heatmap');
    expect(await heatmap.getAttribute('data-mode')).toBe('difference');
    expect(await heatmap.getAttribute('data-measure')).toBe('entropy');
    await other.close();
    await page.close();
  });
});

describe.skipIf(!HAS_ORGANISM)('the logit lens view on WebGPU', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
  });
  afterAll(() => browser?.close());

  it('renders on WebGPU and agrees with the model there', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/?backend=webgpu`);
    await waitForModel(page, /organism-llama/);
    expect(await page.getByTestId('backend').getAttribute('data-backend')).toBe('webgpu');
    await waitForLens(page);
    const { lens, greedy } = await lensAgreesWithGreedy(page);
    expect(lens.trim()).toBe(greedy.trim());
    await screenshot(page, 'lens-webgpu');
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
