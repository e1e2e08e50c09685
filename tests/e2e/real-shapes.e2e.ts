/**
 * Models people load, at their published sizes: random-weight checkpoints in the exact shapes of
 * GPT-2 124M (float32, GPT-2's own tokenizer) and Qwen2.5-0.5B-Instruct (bfloat16, Qwen's
 * tokenizer, chat template and generation_config.json), written by scripts/real-shapes.ts and
 * served through the local Hub stand-in. The page loads each by its repo id on WebAssembly,
 * builds a vector from pasted pairs and steers: the steered side leaves the baseline at the top
 * of the slider and equals it at strength 0.
 */
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REAL_SHAPES, shapeFolder, writeRealShape } from '../../scripts/real-shapes';
import { type HubServer, startHubServer } from '../support/hub-server';
import { setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

/** Outside dist/ and the repo's tracked files; the same folder `npm run bench:ui -- real` uses. */
const OUT = resolve(import.meta.dirname, '../../bench/out/real-shapes');
const SHAPES = REAL_SHAPES.filter((s) => s.key === 'gpt2' || s.key === 'qwen');
const MINUTES = 60_000;

describe('real model shapes through the Hub path', () => {
  let browser: Browser;
  let hub: HubServer;
  beforeAll(async () => {
    for (const shape of SHAPES) writeRealShape(OUT, shape);
    hub = await startHubServer({
      repos: Object.fromEntries(SHAPES.map((s) => [s.repo, shapeFolder(OUT, s)])),
    });
    browser = await launch();
  }, 10 * MINUTES);
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  for (const shape of SHAPES) {
    it(
      `loads ${shape.repo} by its repo id and steers it`,
      async () => {
        const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
        const page = await context.newPage();
        const watch = watchPage(page);
        const t0 = Date.now();
        await page.goto(
          `${inject('appUrl')}/?backend=wasm&hub=${encodeURIComponent(hub.url)}&model=${shape.repo}`,
        );
        await waitForModel(page, `hub:${shape.repo}@main`, 6 * MINUTES);
        console.log(`[real-shapes] ${shape.repo}: loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        await setField(page, 'Max tokens', '4');
        await setField(page, 'Temperature', '0');

        await pastePairs(page);
        await waitForVector(page, 6 * MINUTES);
        await page.getByRole('button', { name: 'Generate' }).click();
        const zero = await waitForBoth(page, 6 * MINUTES);
        expect(zero.baseline.length).toBeGreaterThan(0);
        expect(zero.steered).toBe(zero.baseline);

        expect(Number(await slide(page, 'End'))).toBeGreaterThan(0);
        const steered = await waitForBoth(page, 6 * MINUTES);
        expect(steered.baseline).toBe(zero.baseline);
        expect(steered.steered).not.toBe(zero.baseline);
        console.log(`[real-shapes] ${shape.repo}: all done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        await screenshot(page, `real-shape-${shape.key}`);
        expect(watch.errors).toEqual([]);
        await context.close();
      },
      20 * MINUTES,
    );
  }
});
