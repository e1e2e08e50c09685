/**
 * The Hub path: the page loads a repo from a local Hub-shaped server (?hub=&model=), shows the
 * memory estimate before the weights are in and per-file download progress, and on reload loads
 * it again from Cache Storage without asking the server for the weights.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { estimateFromConfig } from '../../src/engine/memory';
import { type HubServer, startHubServer } from '../support/hub-server';
import { waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';

const REPO = 'rudder-test/text-tiny';

describe('loading from the Hugging Face Hub', () => {
  let browser: Browser;
  let hub: HubServer;
  beforeAll(async () => {
    hub = await startHubServer({
      repos: { [REPO]: join(inject('e2eModels'), TEXT_MODEL) },
      // Slow enough that the progress bars are on screen for a while (~4 MB in ~1.5 s).
      throttle: { chunkBytes: 128 * 1024, delayMs: 40 },
      redirectWeights: true,
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('shows the estimate and download progress, loads the repo, and loads it from Cache Storage after a reload', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const watch = watchPage(page);
    const weightGets = () =>
      hub.requests.filter((r) => r.method === 'GET' && r.path === `/${REPO}/resolve/main/model.safetensors`)
        .length;

    await page.goto(`${inject('appUrl')}/?hub=${encodeURIComponent(hub.url)}&model=${REPO}`);
    // The estimate is on screen while the weights are still downloading, and is the engine's
    // estimate from config.json at the worker's planned context (1024 tokens, or the model's own).
    const shown = await (
      await page.waitForFunction(() => {
        const e = document.querySelector<HTMLElement>('[data-testid=load-estimate]');
        if (!e) return null;
        const bar = document.querySelector<HTMLProgressElement>('[data-file="model.safetensors"] progress');
        return {
          parameters: Number(e.dataset.parameters),
          weightBytes: Number(e.dataset.weightBytes),
          totalBytes: Number(e.dataset.totalBytes),
          weightsDone: bar !== null && bar.max > 0 && bar.value >= bar.max,
          text: e.textContent ?? '',
        };
      })
    ).jsonValue();
    if (!shown) throw new Error('waitForFunction resolved without the estimate');
    console.log(`[hub] estimate shown: ${shown.text}`);
    expect(shown.weightsDone).toBe(false);
    const config = JSON.parse(readFileSync(join(inject('e2eModels'), TEXT_MODEL, 'config.json'), 'utf8'));
    const expected = estimateFromConfig(config, { contextTokens: 1024 });
    expect(shown).toMatchObject({
      parameters: expected.parameters,
      weightBytes: expected.memory.weightBytes,
      totalBytes: expected.memory.totalBytes,
    });
    expect(shown.text).toMatch(
      /^Needs about [\d.]+ [KMG]B: [\d.]+[KMB]? parameters as [\d.]+ [KMG]B of float32 weights, plus the cache and activations of \d+ tokens\. It fits: this tab can hold [\d.]+ [KMG]B on (WebAssembly|WebGPU|WebGL)\.$/,
    );
    const bar = page.locator('[data-testid=file-progress][data-file="model.safetensors"]');
    await bar.waitFor({ timeout: 60_000 });
    // Partway through: the bar has a value below its maximum.
    await page.waitForFunction(() => {
      const p = document.querySelector(
        '[data-file="model.safetensors"] progress',
      ) as HTMLProgressElement | null;
      return p !== null && p.value > 0 && p.value < p.max;
    });
    await screenshot(page, 'hub-downloading');
    await waitForModel(page, `hub:${REPO}@main`);
    await screenshot(page, 'hub-loaded');
    expect(weightGets()).toBe(1);
    const before = hub.requests.length;

    await page.reload();
    await waitForModel(page, `hub:${REPO}@main`);
    const after = hub.requests.slice(before);
    console.log(
      `[hub] requests after reload: ${after.length ? after.map((r) => `${r.method} ${r.path}`).join(', ') : 'none'}`,
    );
    expect(weightGets()).toBe(1);
    expect(after.filter((r) => r.method === 'GET')).toEqual([]);
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
