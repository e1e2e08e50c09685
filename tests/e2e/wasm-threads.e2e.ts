/**
 * tfjs-backend-wasm's multi-threaded SIMD build under cross-origin isolation (the dev server
 * and the build send COOP/COEP): it must start with more than one thread on a multi-core
 * machine. Prints the 64-token forward time of a GPT-2-small-shaped model with all threads and
 * with one (a figure for the report; no time is asserted).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch, watchPage } from './support/browser';

describe('WebAssembly threads in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  const open = async (threads?: number) => {
    const page = await browser.newPage();
    const watch = watchPage(page);
    await page.goto(`${inject('devUrl')}/tests/e2e/pages/golden.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    const info = await page.evaluate(
      (t) => window.rudderGolden.init('wasm', t === undefined ? {} : { threads: t }),
      threads,
    );
    return { page, info, watch };
  };

  it('runs the threaded build with more than one thread when the page is cross-origin isolated', async () => {
    const { page, info, watch } = await open();
    console.log('[wasm threads] default:', JSON.stringify(info));
    expect(info.crossOriginIsolated).toBe(true);
    expect(info.multithreadFlag).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (cores > 1) expect(info.threads).toBeGreaterThan(1);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('reports the forward time in a worker with all threads and with one', async () => {
    const shape = {
      nLayers: 12,
      dModel: 768,
      nHeads: 12,
      nKvHeads: 12,
      dHead: 64,
      dMlp: 3072,
      vocabSize: 50257,
      nCtx: 1024,
    };
    const page = await browser.newPage();
    await page.goto(`${inject('devUrl')}/tests/e2e/pages/golden.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
    const results: string[] = [];
    // Interleaved, so that load from other processes on the machine falls on both.
    for (const threads of [undefined, 1, undefined, 1]) {
      const r = await page.evaluate(([s, t]) => window.rudderGolden.forwardMsInWorker(s, t), [
        shape,
        threads,
      ] as const);
      results.push(`${r.threads} thread(s): median ${r.median} ms of [${r.ms}]`);
    }
    console.log(`[wasm threads] GPT-2-small shape, 64-token forward in a worker:\n  ${results.join('\n  ')}`);
    expect(results).toHaveLength(4);
    await page.close();
  });
});
