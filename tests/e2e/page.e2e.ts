/**
 * The app page: opens, a model loads (the shipped organism when it exists, else a model the test
 * prepares), text streams token by token, Stop stops it, and the backend is shown; on
 * WebAssembly by default and on WebGPU (SwiftShader) with ?backend=webgpu.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAndWatch, HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';

const app = () => inject('appUrl');
const PREPARED = `/e2e-models/${TEXT_MODEL}`;

describe('the page on WebAssembly', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('opens on the default organism, or says plainly that it is not built yet', async () => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    if (HAS_ORGANISM) {
      await waitForModel(page, /organism-llama/);
    } else {
      const note = page.getByTestId('shipped-note');
      await note.waitFor();
      expect(await note.textContent()).toContain('models/organism-llama');
      expect(await page.getByTestId('model-info').count()).toBe(0);
    }
    await screenshot(page, HAS_ORGANISM ? 'open-organism' : 'open-no-organism');
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('loads a model, shows its backend and streams generated text token by token', async () => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    await page.goto(HAS_ORGANISM ? `${app()}/` : `${app()}/?model=${PREPARED}`);
    await waitForModel(page, HAS_ORGANISM ? /organism-llama/ : new RegExp(TEXT_MODEL));
    const backend = page.getByTestId('backend');
    expect(await backend.getAttribute('data-backend')).toBe('wasm');
    expect(await backend.textContent()).toMatch(/WebAssembly.+\./);
    // Threads run (cross-origin isolation works in this build of the app): half the cores and at
    // least two (src/worker/threads.ts wasmThreadCount).
    if ((await page.evaluate(() => navigator.hardwareConcurrency)) >= 2) {
      expect(await backend.textContent()).toMatch(/Multi-threaded: [2-8] threads\./);
    } else {
      expect(await backend.textContent()).toMatch(/One thread \(this device reports one core\)\.$/);
    }
    await screenshot(page, 'model-loaded');

    await page.getByRole('textbox', { name: 'Prompt' }).fill('Once upon a time');
    await setField(page, 'Max tokens', '24');
    await setField(page, 'Temperature', '1');
    await setField(page, 'Seed', '7');
    const { seen, final } = await generateAndWatch(page);
    expect(final.length).toBeGreaterThan(0);
    // Streaming: the output grew through several intermediate texts, each extending the last.
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.startsWith(seen[i - 1]!)).toBe(true);
    expect(await page.getByTestId('output-stats').textContent()).toMatch(
      /24 tokens in .* reached max tokens/,
    );
    await screenshot(page, 'generated');

    // The same seed gives the same text.
    const again = await generateAndWatch(page);
    expect(again.final).toBe(final);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('stops a long generation when Stop is pressed', async () => {
    const page = await browser.newPage();
    // The tiny model: the organism ends its stories by itself within a second or so, before Stop.
    // Greedy, its random weights repeat one loop that holds no end-of-text token, so the run lasts
    // its whole context (sampled, it can draw end-of-text before Stop lands on a fast machine).
    await page.goto(`${app()}/?model=${PREPARED}`);
    await waitForModel(page);
    await setField(page, 'Max tokens', '4000');
    await setField(page, 'Temperature', '0');
    await page.getByRole('button', { name: 'Generate' }).click();
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=output-text]')?.textContent ?? '').length > 5,
    );
    // Stop at once: a screenshot here takes longer than the whole generation on a fast machine.
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=output-panel]')?.getAttribute('data-status') === 'done',
    );
    const stats = (await page.getByTestId('output-stats').textContent()) ?? '';
    expect(stats).toMatch(/stopped\.$/);
    expect(Number(/^(\d+) tokens/.exec(stats)?.[1])).toBeLessThan(4000);
    await screenshot(page, 'stopped');
    await page.close();
  });

  it('loads a model folder chosen with the folder picker', async () => {
    const page = await browser.newPage();
    await page.goto(`${app()}/`);
    await page.getByLabel('Local folder').setInputFiles(join(inject('e2eModels'), TEXT_MODEL));
    await waitForModel(page, `files:${TEXT_MODEL}`);
    await setField(page, 'Max tokens', '6');
    const { final } = await generateAndWatch(page);
    expect(final.length).toBeGreaterThan(0);
    await page.close();
  });

  it('keeps a folder chosen while the page is still opening: the default model does not replace it', async () => {
    const page = await browser.newPage();
    // The list of shipped models arrives only after the person has chosen a folder.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/models/index.json', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto(`${app()}/`);
    await page.getByLabel('Local folder').setInputFiles(join(inject('e2eModels'), TEXT_MODEL));
    await waitForModel(page, `files:${TEXT_MODEL}`);
    release();
    await page.locator('option[value="organism-llama"]').waitFor({ state: 'attached' });
    // Loading the default started at once when it did (and replaced the folder's model).
    await page.waitForTimeout(1000);
    expect(await page.getByTestId('loading').count()).toBe(0);
    expect(await page.getByTestId('model-info').getAttribute('data-model-id')).toBe(`files:${TEXT_MODEL}`);
    await page.close();
  });

  it('follows the dark colour scheme', async () => {
    const context = await browser.newContext({ colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${app()}/?model=${PREPARED}`);
    await waitForModel(page);
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(bg).toBe('rgb(21, 23, 27)');
    await screenshot(page, 'dark');
    await context.close();
  });

  it('keeps working from the keyboard: Ctrl+Enter generates, Escape stops', async () => {
    const page = await browser.newPage();
    await page.goto(`${app()}/?model=${PREPARED}`);
    await waitForModel(page);
    await setField(page, 'Max tokens', '4000');
    await page.getByRole('textbox', { name: 'Prompt' }).focus();
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(
      () => (document.querySelector('[data-testid=output-text]')?.textContent ?? '').length > 5,
    );
    await page.keyboard.press('Escape');
    await page.waitForFunction(
      () => document.querySelector('[data-testid=output-panel]')?.getAttribute('data-status') === 'done',
    );
    expect(await page.getByTestId('output-stats').textContent()).toMatch(/stopped\.$/);
    await page.close();
  });
});

describe('the page on WebGPU (SwiftShader)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
  });
  afterAll(() => browser?.close());

  it('runs the model on WebGPU when ?backend=webgpu asks for it', async () => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    const model = HAS_ORGANISM ? '' : `&model=${PREPARED}`;
    await page.goto(`${app()}/?backend=webgpu${model}`);
    await waitForModel(page, undefined, 240_000);
    const backend = page.getByTestId('backend');
    // The note says why, when WebGPU was passed over.
    const note = (await backend.textContent()) ?? '';
    expect(await backend.getAttribute('data-backend'), note).toBe('webgpu');
    expect(note).toContain('WebGPU was requested');
    await setField(page, 'Max tokens', '8');
    const { seen, final } = await generateAndWatch(page, 240_000);
    expect(final.length).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThan(1);
    await screenshot(page, 'webgpu-generated');
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
