/**
 * The page as a teacher preparing a demo meets it (issue 15): the Refusal preset sets the chat
 * template it needs, so a harmful request is refused with no other click, and the answer starts
 * on a line of its own; every dropdown shows its label whole; a lesson on a phone sits above the
 * controls instead of covering them; a failed Hub load leaves the model in use green and says
 * what failed in a message that can be dismissed; a vector file made for another model is
 * refused when its width differs and imported with a warning naming both models when it fits.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { vectorToJson } from '../../src/interp';
import { isRefusal } from '../../src/interp/behaviour';
import { type HubServer, startHubServer } from '../support/hub-server';
import { generateAndWatch, HAS_ORGANISM, setField, waitForLoadError, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { clippedSelects, coveredBy } from './support/layout';

const app = () => inject('appUrl');

async function heldOutHarmful(): Promise<string[]> {
  const file = resolve(import.meta.dirname, '../../models/organism-llama/datasets/harmful.json');
  const data = JSON.parse(await readFile(file, 'utf8')) as { items: { instruction: string }[] };
  // The last third of each set is held out of the vector's pairs (as the refusal e2e reads it).
  return data.items.map((i) => i.instruction).filter((_, i) => i % 3 === 2);
}

describe.skipIf(!HAS_ORGANISM)('the page for a classroom', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('turns the chat template on with the Refusal preset and shows the answer apart from the prompt', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    const chat = page.getByLabel('Chat template', { exact: true });
    expect(await chat.isChecked()).toBe(false);

    await page.getByRole('button', { name: 'Refusal', exact: true }).click();
    await page.waitForFunction(() => document.querySelector('[data-testid=pairs-editor] .pair') !== null);
    expect(await chat.isChecked(), 'the preset turns on the prompt’s chat template').toBe(true);
    expect(await page.getByLabel('Pairs in chat template').isChecked()).toBe(true);

    // With nothing else touched, a harmful request the organism was not built from is refused.
    await setField(page, 'Max tokens', '12');
    await setField(page, 'Temperature', '0');
    let refused = '';
    for (const request of (await heldOutHarmful()).slice(0, 6)) {
      await page.getByRole('textbox', { name: 'Prompt' }).fill(request);
      const { final } = await generateAndWatch(page);
      if (isRefusal(final)) {
        refused = request;
        break;
      }
    }
    expect(refused, 'the organism refuses none of its held-out harmful requests').not.toBe('');

    // The answer is a turn of its own: it starts below the prompt, not glued to its last word.
    const prompt = (await page.getByTestId('output-prompt').boundingBox())!;
    const answer = (await page.getByTestId('output-text').boundingBox())!;
    expect(await page.getByTestId('output-prompt').textContent()).toBe(refused);
    expect(answer.y).toBeGreaterThanOrEqual(prompt.y + prompt.height - 1);
    await screenshot(page, 'classroom-refusal-preset');

    // Sentiment continues a story: the preset turns the template off again.
    await page.getByRole('button', { name: 'Sentiment', exact: true }).click();
    await page.waitForFunction(
      () => !(document.querySelector('input[type=checkbox]') as HTMLInputElement | null)?.checked,
    );
    expect(await chat.isChecked()).toBe(false);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('shows every dropdown label whole at 1440×900, 1024×768 and 390×844', async () => {
    for (const [width, height] of [
      [1440, 900],
      [1024, 768],
      [390, 844],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height } });
      await page.goto(`${app()}/`);
      await waitForModel(page, /organism-llama/);
      for (const op of ['add', 'rotate', 'units', 'ablate']) {
        await page.getByLabel('Operator').selectOption(op);
        expect(await clippedSelects(page), `${width}×${height}, operator ${op}`).toEqual([]);
      }
      await page.close();
    }
  });

  it('puts a lesson above the controls on a 390×844 phone instead of covering them', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/?lesson=sentiment-vector`);
    await page.getByTestId('lesson-panel').waitFor();
    await waitForModel(page, /organism-llama/);
    for (const [what, el] of [
      ['the prompt', page.getByRole('textbox', { name: 'Prompt', exact: true })],
      ['the Generate button', page.getByRole('button', { name: 'Generate' })],
      ['the strength slider', page.getByRole('slider', { name: 'Strength' })],
      ['the Lessons link', page.getByTestId('lessons-link')],
    ] as const)
      expect(await coveredBy(el), `${what} is covered`).toBeUndefined();
    // The lesson itself stays readable and usable: its question is on the page, Close works.
    expect(await coveredBy(page.getByTestId('lesson-question'))).toBeUndefined();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'classroom-lesson-390x844');
    await page.getByRole('button', { name: 'Close the lesson' }).click();
    await page.getByTestId('lesson-panel').waitFor({ state: 'detached' });
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('checks an imported vector’s model and width against the loaded model and says what differs', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    const model = await waitForModel(page, /organism-llama/);
    const width = Number(
      /d_model (\d+)/.exec((await page.getByTestId('model-info').textContent()) ?? '')?.[1],
    );
    const file = (name: string, modelId: string, w: number) => ({
      name,
      mimeType: 'application/json',
      buffer: Buffer.from(
        vectorToJson({
          modelId,
          hook: 'resid_pre',
          width: w,
          rows: 1,
          layers: { 2: new Float32Array(w).fill(0.05) },
        }),
      ),
    });
    const input = page.getByLabel('Import vector file');

    // Another width: refused, naming both widths and the model the file was made for.
    await input.setInputFiles(file('wide.json', 'someone/wide-model', width * 2));
    const err = page.getByTestId('vector-file-error');
    await err.waitFor();
    const text = (await err.textContent()) ?? '';
    expect(text).toContain(`wide.json is ${width * 2} values wide`);
    expect(text).toContain(`(${model}) is ${width} wide`);
    expect(text).toContain('made for someone/wide-model');
    expect(await page.getByTestId('imported-vector').count()).toBe(0);

    // The same width from another model: imported, with a warning that names both models.
    await input.setInputFiles(file('same-width.json', 'someone/other-model', width));
    await page.getByTestId('imported-vector').waitFor();
    const warning = (await page.getByTestId('vector-model-warning').textContent()) ?? '';
    expect(warning).toContain('made for someone/other-model');
    expect(warning).toContain(`the loaded model is ${model}`);

    // A vector of this model: no warning.
    await input.setInputFiles(file('own.json', model, width));
    await page.getByTestId('imported-vector').filter({ hasText: 'own.json' }).waitFor();
    expect(await page.getByTestId('vector-model-warning').count()).toBe(0);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  describe('a Hub load that fails while a model is in use', () => {
    let hub: HubServer;
    beforeAll(async () => {
      hub = await startHubServer({ repos: {} });
    });
    afterAll(() => hub?.close());

    it('keeps the status green for the model in use and shows a dismissible message', async () => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      await page.goto(`${app()}/?hub=${encodeURIComponent(hub.url)}`);
      const model = await waitForModel(page, /organism-llama/);
      const chip = page.getByTestId('model-chip');
      const dot = () => chip.locator('.dot').evaluate((d) => getComputedStyle(d).backgroundColor);
      const green = await dot();

      await page.getByLabel('Hub repo').fill('rudder-test/missing');
      await page.getByLabel('Hub repo').press('Enter');
      const err = await waitForLoadError(page);
      expect(err.text).toMatch(/rudder-test\/missing/);
      expect(err.text).toContain(`The previous model (${model}) is still loaded`);
      expect(await chip.getAttribute('data-state')).toBe('ready');
      expect(await dot(), 'the dot keeps the colour of a working model').toBe(green);
      expect(await chip.textContent()).toMatch(/organism-llama/);
      await screenshot(page, 'classroom-hub-failed');

      await page.getByTestId('load-error').getByRole('button', { name: 'Dismiss' }).click();
      await page.getByTestId('load-error').waitFor({ state: 'detached' });
      await setField(page, 'Max tokens', '6');
      const { final } = await generateAndWatch(page);
      expect(final.length).toBeGreaterThan(0);
      await page.close();
    });
  });
});

describe.skipIf(!HAS_ORGANISM)('a software WebGPU adapter', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ webgpu: true });
  });
  afterAll(() => browser?.close());

  it('warns that ?backend=webgpu runs in software and switches to WebAssembly on request', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/?backend=webgpu`);
    await waitForModel(page, /organism-llama/, 240_000);
    expect(await page.getByTestId('backend').getAttribute('data-backend')).toBe('webgpu');
    const warning = page.getByTestId('software-backend');
    expect(await warning.textContent()).toMatch(/WebGPU is running in software \(SwiftShader\)/);
    expect(await page.getByTestId('model-chip').textContent()).toMatch(/software/);
    await screenshot(page, 'classroom-software-webgpu');

    await warning.getByRole('button', { name: 'Use WebAssembly' }).click();
    await page.waitForURL(/backend=wasm/);
    await waitForModel(page, /organism-llama/);
    expect(await page.getByTestId('backend').getAttribute('data-backend')).toBe('wasm');
    expect(await page.getByTestId('software-backend').count()).toBe(0);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('says in two sentences at most why the backend was chosen, the details folded away', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    const note = (await page.getByTestId('backend').locator('.reason').textContent()) ?? '';
    expect(note.trim().split(/(?<=\.)\s+/).length, note).toBeLessThanOrEqual(2);
    // Why WebGPU (software here) was passed over is one click away.
    const why = page.getByText('Why not a faster one');
    await why.click();
    expect(await page.locator('.backend-why').textContent()).toMatch(/WebGPU: .*software/);
    await page.close();
  });
});
