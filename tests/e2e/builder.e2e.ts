/**
 * The steering builder on the organism: every operator (add, ablate, rotate, units) changes the
 * steered text at strength and leaves it equal to the baseline at strength (or angle) 0; the
 * vector's lens lists the tokens it promotes and suppresses; the vector leaves as JSON,
 * safetensors and GGUF and comes back as the same steered text; a bad or wrong-width file says so
 * and changes nothing; and a link carries a non-add operator and an imported vector. Greedy
 * decoding throughout, so each comparison is about the steering and not the sampler.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { vectorToJson } from '../../src/interp';
import { HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { pastePairs, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');

/** Counts the steered side's runs, so a test can wait for the run an action starts. */
async function countRuns(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __runs: number; __runObs?: MutationObserver };
    w.__runs = 0;
    w.__runObs?.disconnect();
    const panel = document.querySelector('[data-testid=steered-panel]')!;
    w.__runObs = new MutationObserver(() => {
      if (panel.getAttribute('data-status') === 'running') w.__runs++;
    });
    w.__runObs.observe(panel, { attributes: true, attributeFilter: ['data-status'] });
  });
}

/**
 * Runs `action`, waits for the steered run it starts to finish, and returns both texts. A run that
 * starts while another is still running leaves the status at "running" (no new mutation), so a
 * running panel counts as started; then the page must stay quiet (no newer run) for a moment.
 */
async function afterRun(
  page: Page,
  action: () => Promise<unknown>,
): Promise<{ baseline: string; steered: string }> {
  const runs = () => page.evaluate(() => (window as unknown as { __runs: number }).__runs);
  const before = await runs();
  await action();
  await page.waitForFunction(
    (n) =>
      (window as unknown as { __runs: number }).__runs > n ||
      document.querySelector('[data-testid=steered-panel]')?.getAttribute('data-status') === 'running',
    before,
    { timeout: 120_000 },
  );
  for (;;) {
    const texts = await waitForBoth(page);
    const seen = await runs();
    await page.waitForTimeout(800);
    const status = await page.getAttribute('[data-testid=steered-panel]', 'data-status');
    if ((await runs()) === seen && status !== 'running') return texts;
  }
}

async function press(page: Page, slider: string, key: 'End' | 'Home'): Promise<void> {
  const s = page.getByRole('slider', { name: slider });
  await s.focus();
  await s.press(key);
}

async function lensTokens(page: Page): Promise<{ promoted: string[]; suppressed: string[] }> {
  await page.waitForFunction(
    () =>
      /ready|error/.test(
        document.querySelector('[data-testid=vector-lens]')?.getAttribute('data-status') ?? '',
      ),
    undefined,
    { timeout: 120_000 },
  );
  const lens = page.getByTestId('vector-lens');
  if ((await lens.getAttribute('data-status')) === 'error')
    throw new Error(`lens: ${await lens.textContent()}`);
  const read = (id: string) => page.locator(`[data-testid=${id}] .lens-token`).allTextContents();
  return { promoted: await read('lens-promoted'), suppressed: await read('lens-suppressed') };
}

async function download(page: Page, label: string, name: string): Promise<string> {
  const event = page.waitForEvent('download');
  await page.getByRole('button', { name: `Export vector as ${label}` }).click();
  const d = await event;
  expect(d.suggestedFilename()).toMatch(/^rudder-resid_pre-L\d+\.(json|safetensors|gguf)$/);
  const file = join(tmpdir(), `rudder-${Date.now()}-${name}-${d.suggestedFilename()}`);
  await d.saveAs(file);
  return file;
}

/** Opens the organism, greedy and short, with the sentiment pairs' vector built. */
async function openWithPairs(page: Page, query = ''): Promise<void> {
  await page.goto(`${app()}/${query}`);
  await waitForModel(page, /organism-llama/);
  await setField(page, 'Max tokens', '24');
  await setField(page, 'Temperature', '0');
  await pastePairs(page);
  await waitForVector(page);
}

describe.skipIf(!HAS_ORGANISM)('the steering builder', () => {
  let browser: Browser;
  let baseline = '';
  let link = '';
  let linkTexts = { baseline: '', steered: '' };
  let importLink = '';
  let importTexts = { baseline: '', steered: '' };
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());
  // A failed test leaves its page behind; it must not keep the model busy for the next one.
  afterEach(async () => {
    for (const c of browser?.contexts() ?? []) await c.close();
  });

  it('steers with each operator, and strength or angle 0 leaves the baseline', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    await openWithPairs(page);

    // The lens: the tokens the vector raises and lowers most, none of them on both lists.
    const lens = await lensTokens(page);
    expect(lens.promoted.length).toBe(8);
    expect(lens.suppressed.length).toBe(8);
    for (const t of lens.promoted) expect(lens.suppressed).not.toContain(t);

    await countRuns(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    const zero = await waitForBoth(page);
    baseline = zero.baseline;
    expect(baseline.length).toBeGreaterThan(0);
    expect(zero.steered).toBe(baseline);

    const add = await afterRun(page, () => press(page, 'Strength', 'End'));
    expect(add.baseline).toBe(baseline);
    expect(add.steered).not.toBe(baseline);
    await screenshot(page, 'builder-add');

    // Ablate starts at the published operator (the whole direction removed).
    await page.getByLabel('Operator').selectOption('ablate');
    expect(await page.getByTestId('coefficient').textContent()).toBe('1.00');
    const ablated = await waitForBoth(page);
    expect(ablated.baseline).toBe(baseline);
    await screenshot(page, 'builder-ablate');
    const ablatedZero = await afterRun(page, () => press(page, 'Ablation', 'Home'));
    expect(ablatedZero.steered).toBe(baseline);

    await page.getByLabel('Operator').selectOption('units');
    await page.getByLabel('Top k units').fill('50');
    const units = await afterRun(page, () => press(page, 'Alpha', 'End'));
    expect(await page.getByTestId('coefficient').textContent()).toBe('20.00');
    expect(units.steered).not.toBe(baseline);
    await screenshot(page, 'builder-units');
    const unitsZero = await afterRun(page, () => page.getByRole('button', { name: 'Reset' }).click());
    expect(unitsZero.steered).toBe(baseline);

    await page.getByLabel('Operator').selectOption('rotate');
    const rotated = await afterRun(page, () => press(page, 'Angle', 'End'));
    expect(await page.getByTestId('coefficient').textContent()).toBe('180.00');
    expect(rotated.steered).not.toBe(baseline);
    await screenshot(page, 'builder-rotate');
    const rotZero = await afterRun(page, () => page.getByRole('button', { name: 'Reset' }).click());
    expect(rotZero.steered).toBe(baseline);

    // A rotated experiment's link, for the next test.
    linkTexts = await afterRun(page, () => press(page, 'Angle', 'End'));
    await page.waitForTimeout(600); // the hash follows edits after a short pause
    link = page.url();
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('opens the rotate link in a fresh context to the same operator and text', async () => {
    expect(link).not.toBe('');
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(link);
    await waitForModel(page, /organism-llama/);
    expect(await page.getByLabel('Operator').inputValue()).toBe('rotate');
    expect(await page.getByTestId('coefficient').textContent()).toBe('180.00');
    expect(await waitForBoth(page)).toEqual(linkTexts);
    await context.close();
  });

  it('exports the vector in every format and imports each back to the same steered text', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    await openWithPairs(page);
    await countRuns(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    const add = await afterRun(page, () => press(page, 'Strength', 'End'));
    expect(add.steered).not.toBe(add.baseline);
    const lens = await lensTokens(page);

    const json = await download(page, 'JSON', 'pairs');
    const fromJson = await afterRun(page, () => page.getByLabel('Import vector file').setInputFiles(json));
    expect(await page.getByTestId('imported-vector').textContent()).toContain('json');
    expect(await page.getByTestId('vector-status').textContent()).toContain('imported');
    expect(fromJson).toEqual(add);
    // The imported vector's lens is the built one's (float16 keeps the ranking).
    expect((await lensTokens(page)).promoted.slice(0, 3)).toEqual(lens.promoted.slice(0, 3));

    // The imported vector exports again: safetensors, then GGUF (llama.cpp's control vector).
    for (const [label, format] of [
      ['safetensors', 'safetensors'],
      ['GGUF', 'gguf'],
    ] as const) {
      const file = await download(page, label, format);
      const back = await afterRun(page, () => page.getByLabel('Import vector file').setInputFiles(file));
      expect(await page.getByTestId('imported-vector').textContent()).toContain(format);
      expect(back, format).toEqual(add);
    }
    await screenshot(page, 'builder-imported');

    // A malformed file and a vector for a wider model: a message, and the imported vector stays.
    const before = await page.getByTestId('imported-vector').textContent();
    await page.getByLabel('Import vector file').setInputFiles({
      name: 'broken.gguf',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('GGUF then nothing that parses'),
    });
    const err = page.getByTestId('vector-file-error');
    await err.waitFor();
    expect(await err.textContent()).toContain('broken.gguf');
    expect(await page.getByTestId('imported-vector').textContent()).toBe(before);
    const wide = vectorToJson({
      modelId: 'other',
      hook: 'resid_pre',
      width: 512,
      rows: 1,
      layers: { 2: new Float32Array(512).fill(0.1) },
    });
    await page.getByLabel('Import vector file').setInputFiles({
      name: 'wide.json',
      mimeType: 'application/json',
      buffer: Buffer.from(wide),
    });
    await page.getByTestId('vector-file-error').filter({ hasText: 'wide.json is 512 values wide' }).waitFor();
    expect(await err.getAttribute('data-code')).toBe('incompatible-vector');
    expect(await page.getByTestId('imported-vector').textContent()).toBe(before);
    expect(await page.getByTestId('steered-text').textContent()).toBe(add.steered);
    await screenshot(page, 'builder-bad-file');

    // The imported vector, ablated, travels in the link.
    await page.getByLabel('Operator').selectOption('ablate');
    importTexts = await waitForBoth(page);
    await page.waitForTimeout(600);
    importLink = page.url();
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('opens a link with an imported vector to the same vector and text', async () => {
    expect(importLink).not.toBe('');
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(importLink);
    await waitForModel(page, /organism-llama/);
    expect(await page.getByLabel('Operator').inputValue()).toBe('ablate');
    expect(await page.getByTestId('imported-vector').textContent()).toContain('gguf');
    expect(await waitForBoth(page)).toEqual(importTexts);
    await screenshot(page, 'builder-import-link');
    await context.close();
  });
});

// Building from pairs reads activations on the GPU: a synchronous read there once returned zeros
// ("norm 0.00") and lost the device for every later call (see src/interp/activations.ts).
describe.skipIf(!HAS_ORGANISM)('the steering builder on WebGPU', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    for (const c of browser?.contexts() ?? []) await c.close();
  });

  it('builds the vector from pairs, shows its lens, steers, and strength 0 leaves the baseline', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/?backend=webgpu`);
    await waitForModel(page, /organism-llama/, 240_000);
    expect(await page.getByTestId('backend').getAttribute('data-backend')).toBe('webgpu');
    await setField(page, 'Max tokens', '12');
    await setField(page, 'Temperature', '0');
    await pastePairs(page);
    await waitForVector(page, 240_000);
    const norm = /norm (\d+\.\d+)/.exec((await page.getByTestId('vector-status').textContent()) ?? '');
    expect(Number(norm?.[1])).toBeGreaterThan(0);
    const lens = await lensTokens(page);
    expect(lens.promoted.length).toBe(8);
    await countRuns(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    const zero = await waitForBoth(page, 240_000);
    expect(zero.steered).toBe(zero.baseline);
    const steered = await afterRun(page, () => press(page, 'Strength', 'End'));
    expect(steered.baseline).toBe(zero.baseline);
    expect(steered.steered).not.toBe(zero.baseline);
    await screenshot(page, 'builder-webgpu');
    expect(watch.errors).toEqual([]);
  });
});
