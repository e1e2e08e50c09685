/**
 * Nothing a person built is lost (issue 17): typed pairs and an imported vector survive a reload
 * and a new visit (saved in the browser, with a message when its storage is full, and a way to
 * forget them); a link naming a Hub model asks before downloading it, with its size; a preset can
 * be undone; and the page survives its model worker dying or its GPU device being lost, reloading
 * the model and keeping the experiment.
 */
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultExperiment, encode } from '../../src/experiment';
import { type HubServer, startHubServer } from '../support/hub-server';
import { setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const MODEL = `/e2e-models/${TEXT_MODEL}`;
const REPO = 'rudder-test/text-tiny';

async function pairsOf(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=pairs-editor] li input')
    .evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value));
}

/** What this origin's localStorage holds for Rudder's saved experiment. */
const savedText = (page: Page) => page.evaluate(() => localStorage.getItem('rudder.experiment') ?? '');

/** Opens the tiny model, greedy and short, with pairs typed and both sides generated at a strength. */
async function steered(page: Page, query = ''): Promise<{ baseline: string; steered: string }> {
  await page.goto(`${app()}/?model=${MODEL}${query}`);
  await waitForModel(page);
  await page.getByRole('textbox', { name: 'Prompt' }).fill('The little robot');
  await setField(page, 'Max tokens', '12');
  await setField(page, 'Temperature', '0');
  await pastePairs(page);
  await waitForVector(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForBoth(page);
  await slide(page, 'End');
  return waitForBoth(page);
}

/** Runs `fn` in the page's model worker (Playwright reaches workers without any page hook). */
async function inModelWorker(page: Page, fn: () => void): Promise<void> {
  for (const worker of page.workers()) {
    if ((await worker.evaluate(() => self.name).catch(() => '')) === 'rudder-model')
      return worker.evaluate(fn);
  }
  throw new Error('no rudder-model worker on the page');
}

/** Makes the model worker throw outside any call, as a crash inside it would. */
const crashWorker = (page: Page) =>
  inModelWorker(page, () => {
    setTimeout(() => {
      throw new Error('simulated crash (test)');
    });
  });

describe('nothing a person built is lost', () => {
  let browser: Browser;
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({ repos: { [REPO]: join(inject('e2eModels'), TEXT_MODEL) } });
    browser = await launch({ webgpu: true });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('keeps typed pairs and an imported vector over a reload and a new visit, until forgotten', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await steered(page);
    const pairs = await pairsOf(page);
    expect(pairs.length).toBe(8);

    // A vector file, imported: it has no recipe, so only the saved experiment can bring it back.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export vector as JSON' }).click();
    const file = join(tmpdir(), `rudder-reliability-${Date.now()}.json`);
    await (await download).saveAs(file);
    await page.getByLabel('Import vector file').setInputFiles(file);
    await page.getByTestId('imported-vector').waitFor();
    await page.waitForFunction(() => localStorage.getItem('rudder.experiment')?.includes('"inline"'));

    await page.reload();
    await waitForModel(page);
    expect(await page.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe('The little robot');
    expect(await pairsOf(page)).toEqual(pairs);
    expect(await page.getByTestId('imported-vector').textContent()).toContain('json');

    // A new visit without the link: the saved experiment comes back, and says so.
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    await page.getByTestId('share-note').filter({ hasText: 'restored from this browser' }).waitFor();
    expect(await pairsOf(page)).toEqual(pairs);
    expect(await page.getByTestId('imported-vector').textContent()).toContain('json');
    await screenshot(page, 'reliability-restored');

    await page.getByRole('button', { name: 'Forget saved work' }).click();
    expect(await savedText(page)).toBe('');
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    expect(await pairsOf(page)).not.toEqual(pairs);
    expect(await page.getByTestId('imported-vector').count()).toBe(0);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('says so when the browser storage is full, and keeps the previous save', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    await page.getByRole('textbox', { name: 'Prompt' }).fill('Saved before the storage filled');
    await page.waitForFunction(() => localStorage.getItem('rudder.experiment')?.includes('filled'));
    const before = await savedText(page);
    // Other data of this origin takes the rest of the quota.
    await page.evaluate(() => {
      for (let size = 1 << 20, i = 0; size >= 1; ) {
        try {
          localStorage.setItem(`filler-${i++}`, 'x'.repeat(size));
        } catch {
          size >>= 1;
        }
      }
    });
    await page
      .getByRole('textbox', { name: 'Prompt' })
      .fill('A longer prompt typed after the storage filled up');
    const note = page.getByTestId('save-note');
    await note.waitFor();
    expect(await note.textContent()).toContain('storage for Rudder is full');
    expect(await savedText(page)).toBe(before);
    await context.close();
  });

  it('asks before loading a Hub model a link names, with its download size', async () => {
    const hash = await encode({ ...defaultExperiment(), model: { kind: 'hub', repo: REPO } });
    const link = `${app()}/?hub=${encodeURIComponent(hub.url)}#${hash}`;
    // Any request for the weights (a size probe included) before Load; then one download.
    const weightRequests = (method?: string) =>
      hub.requests.filter((r) => r.path.endsWith('/model.safetensors') && (!method || r.method === method))
        .length;
    const size = (await stat(join(inject('e2eModels'), TEXT_MODEL, 'model.safetensors'))).size;

    const context = await browser.newContext();
    const declined = await context.newPage();
    await declined.goto(link);
    const ask = declined.getByTestId('model-ask');
    await ask.waitFor();
    expect(await ask.textContent()).toContain(REPO);
    const askedSize = async (page: Page) => {
      const shown = page.getByTestId('model-ask-size');
      await shown.filter({ hasText: 'Download:' }).waitFor();
      const text = (await shown.textContent()) ?? '';
      return { text, download: bytesIn(text, 'Download: '), memory: bytesIn(text, 'about ') };
    };
    const asked = await askedSize(declined);
    // The estimate (parameters × 4 bytes) is the file less its header.
    expect(Math.abs(asked.download - size) / size).toBeLessThan(0.05);
    expect(asked.text).not.toContain('16 bits');
    await screenshot(declined, 'reliability-model-ask');

    // The same repo with 16-bit weights: the same download, and the memory it will load with.
    const halfHash = await encode({
      ...defaultExperiment(),
      model: { kind: 'hub', repo: REPO, precision: 'bfloat16' },
    });
    const halfPage = await context.newPage();
    await halfPage.goto(`${app()}/?hub=${encodeURIComponent(hub.url)}#${halfHash}`);
    expect(await halfPage.getByTestId('model-ask').textContent()).toContain('with 16-bit weights');
    const half = await askedSize(halfPage);
    expect(half.text).toContain('its matrices in 16 bits');
    expect(half.download).toBe(asked.download);
    expect(half.memory).toBeLessThan(asked.memory);
    await halfPage.close();
    await declined.getByRole('button', { name: /Use the default model|Keep/ }).click();
    await declined
      .getByTestId('url-notes')
      .filter({ hasText: `${REPO} was not loaded` })
      .waitFor();
    expect(weightRequests()).toBe(0);

    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(link);
    await page.getByTestId('model-ask').waitFor();
    expect(weightRequests()).toBe(0);
    await page.getByRole('button', { name: `Load ${REPO}` }).click();
    await waitForModel(page, `hub:${REPO}@main`);
    expect(weightRequests('GET')).toBe(1);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('undoes a preset: the typed pairs come back', async () => {
    const page = await browser.newPage();
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    await pastePairs(page);
    const typed = await pairsOf(page);
    await page.getByRole('button', { name: 'Music', exact: true }).click();
    await page.getByRole('button', { name: 'Undo Music' }).waitFor();
    expect(await pairsOf(page)).not.toEqual(typed);
    await page.getByRole('button', { name: 'Undo Music' }).click();
    expect(await pairsOf(page)).toEqual(typed);
    expect(await page.getByRole('button', { name: 'Undo Music' }).count()).toBe(0);
    expect(await page.getByTestId('pairs-editor').textContent()).not.toContain('from music');
    await page.close();
  });

  it('survives the model worker crashing: says so, reloads the model and runs the experiment again', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const watch = watchPage(page);
    const before = await steered(page, '&backend=wasm');
    const pairs = await pairsOf(page);
    await crashWorker(page);
    await page.getByTestId('worker-note').filter({ hasText: 'The model worker stopped' }).waitFor();
    await page
      .getByTestId('worker-note')
      .filter({ hasText: 'the model was reloaded' })
      .waitFor({ timeout: 120_000 });
    await waitForModel(page);
    // Same prompt, pairs and strength, so the same seeded text.
    expect(await waitForBoth(page)).toEqual(before);
    expect(await pairsOf(page)).toEqual(pairs);
    expect(await page.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe('The little robot');
    await screenshot(page, 'reliability-worker-restarted');
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('survives losing the WebGPU device: moves to WebAssembly and keeps the experiment', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await steered(page, '&backend=webgpu');
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('webgpu');
    const pairs = await pairsOf(page);
    await inModelWorker(page, () =>
      (self as unknown as { rudderDestroyGpuDevice: () => void }).rudderDestroyGpuDevice(),
    );
    await page.getByTestId('worker-note').filter({ hasText: 'The GPU device was lost' }).waitFor();
    await page
      .getByTestId('worker-note')
      .filter({ hasText: 'reloaded on WebAssembly' })
      .waitFor({ timeout: 120_000 });
    await waitForModel(page);
    expect(await page.getAttribute('[data-testid=backend]', 'data-backend')).toBe('wasm');
    const after = await waitForBoth(page);
    expect(after.baseline.length).toBeGreaterThan(0);
    expect(after.steered.length).toBeGreaterThan(0);
    expect(await pairsOf(page)).toEqual(pairs);
    await page.close();
  });
});

/** The figure after `label` in a size text ("Download: 1.2 MB"), in bytes. */
function bytesIn(text: string, label: string): number {
  const m = new RegExp(`${label}([\\d.]+) (bytes|KB|MB|GB)`).exec(text);
  if (!m) throw new Error(`no size after "${label}" in: ${text}`);
  return Number(m[1]) * 2 ** (10 * ['bytes', 'KB', 'MB', 'GB'].indexOf(m[2]!));
}
