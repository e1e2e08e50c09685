/**
 * Failures a person can cause end in a readable message, and the page keeps the previous model
 * and stays usable: a Hub repo that does not exist, a repo without config.json (404), a
 * malformed safetensors file, an unsupported model_type, a model too large for the device, and
 * text from the network that looks like HTML (shown as text, never run).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type HubServer, startHubServer } from '../support/hub-server';
import { generateAndWatch, setField, waitForLoadError, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';

describe('error paths on the page', () => {
  let browser: Browser;
  let hub: HubServer;
  let page: Page;
  let watch: { errors: string[] };
  const good = `hub:rudder-test/${TEXT_MODEL}@main`;

  beforeAll(async () => {
    const dir = inject('e2eModels');
    await mkdir(join(dir, 'empty'), { recursive: true });
    const repos: Record<string, string> = { 'rudder-test/empty': join(dir, 'empty') };
    for (const name of [TEXT_MODEL, 'malformed', 'unsupported', 'too-large', 'markup']) {
      repos[`rudder-test/${name}`] = join(dir, name);
    }
    hub = await startHubServer({ repos });
    browser = await launch();
    page = await browser.newPage();
    watch = watchPage(page);
    await page.goto(
      `${inject('appUrl')}/?hub=${encodeURIComponent(hub.url)}&model=rudder-test/${TEXT_MODEL}`,
    );
    await waitForModel(page, good);
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  const loadFromHub = async (repo: string) => {
    await page.getByLabel('Hub repo').fill(repo);
    await page.getByLabel('Hub repo').press('Enter');
    return waitForLoadError(page);
  };

  const expectPreviousModelKept = async () => {
    expect(await page.getAttribute('[data-testid=model-info]', 'data-model-id')).toBe(good);
    expect(await page.getByTestId('load-error').textContent()).toContain(
      `The previous model (${good}) is still loaded`,
    );
  };

  const cases: [string, string, RegExp, string][] = [
    [
      'a Hub repo that does not exist',
      'rudder-test/missing',
      /HTTP 401.*Repository not found.*check that "rudder-test\/missing" exists/s,
      'source',
    ],
    [
      'a Hub repo without config.json (404)',
      'rudder-test/empty',
      /config\.json.*HTTP 404.*Entry not found.*does not exist there/s,
      'source',
    ],
    [
      'a malformed safetensors file',
      'rudder-test/malformed',
      /model\.safetensors: .*(offset|bytes|end|beyond|past)/i,
      'weights-format',
    ],
    ['an unsupported model_type', 'rudder-test/unsupported', /bert.*gpt2.*llama/s, 'unsupported-model'],
    [
      'a model too large for this device',
      'rudder-test/too-large',
      // The refusal comes with the figures: what the model needs, its weights, what the tab holds.
      /needs about [\d.]+ GB \([\d.]+ GB of float32 weights, at \d+ tokens of context\) but the (WebAssembly|WebGPU|WebGL) backend can address at most [\d.]+ GB/,
      'too-large',
    ],
  ];

  for (const [what, repo, message, code] of cases) {
    it(`explains ${what} and keeps the previous model`, async () => {
      const err = await loadFromHub(repo);
      console.log(`[errors] ${repo}: (${err.code}) ${err.text}`);
      expect(err.code).toBe(code);
      expect(err.text).toMatch(message);
      await expectPreviousModelKept();
      await screenshot(page, `error-${repo.split('/')[1]}`);
    });
  }

  it('offers 16-bit weights to a model too large, and ticking them asks for that model again', async () => {
    const first = await loadFromHub('rudder-test/too-large');
    if (first.text.includes('WebAssembly'))
      expect(first.text).toMatch(/try 16-bit weights \(half the memory\)/);
    const box = page.getByLabel('16-bit weights');
    const retried = page.getByTestId('load-error').filter({ hasText: 'matrices in 16 bits' });
    await box.check();
    // The refused model, not the one in use, is asked for again: still too large, now in 16 bits.
    await retried.waitFor({ timeout: 60_000 });
    const again = await waitForLoadError(page);
    expect(again.code).toBe('too-large');
    expect(again.text).toMatch(/Could not load rudder-test\/too-large/);
    expect(again.text).not.toMatch(/try 16-bit weights/);
    const need = (text: string) => Number(/needs about ([\d.]+) GB/.exec(text)![1]);
    expect(need(again.text)).toBeLessThan(need(first.text));
    await expectPreviousModelKept();
    expect(await page.getByTestId('weights').getAttribute('data-precision')).toBe('checkpoint');
    await box.uncheck();
    await page
      .getByTestId('load-error')
      .filter({ hasText: 'of float32 weights' })
      .waitFor({ timeout: 60_000 });
    await waitForLoadError(page);
    await expectPreviousModelKept();
  });

  it('shows text from the network as text, never as HTML', async () => {
    const err = await loadFromHub('rudder-test/markup');
    expect(err.text).toContain('<img src=x onerror="window.__pwned=1">');
    expect(await page.locator('[data-testid=load-error] img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('still generates with the previous model after all of these', async () => {
    await setField(page, 'Max tokens', '8');
    const { final } = await generateAndWatch(page);
    expect(final.length).toBeGreaterThan(0);
    expect(await page.getByTestId('output-stats').textContent()).toMatch(/8 tokens/);
    expect(watch.errors).toEqual([]);
  });
});
