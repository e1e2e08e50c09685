/**
 * WebAssembly threads under cross-origin isolation (the dev server and the build send COOP/COEP):
 * tfjs's threaded SIMD build for its shared memory, and Rudder's kernels (their fused multiply-add
 * build) shared between the calling thread and helper workers on that memory (kernel-threads.ts).
 * More than one thread must start on a multi-core machine, in the test page and in the app's model
 * worker (which says so in its backend note, and why when it runs one), and compute exactly what
 * one thread computes. Prints the 64-token forward time of a GPT-2-small-shaped model with all
 * threads and with one (a figure for the report; no time is asserted).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateAndWatch, HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';

const REF = '/tests/fixtures/reference';

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
    expect(info.fusedMultiplyAdd).toBe(true); // Chromium has relaxed SIMD: the kernels' fused build
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    if (cores > 1) expect(info.threads).toBeGreaterThan(1);
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('computes the same logits, activations and greedy tokens with two threads as with one', async () => {
    const runs = [];
    for (const threads of [2, 1]) {
      const { page, info, watch } = await open(threads);
      expect(info.threads).toBe(threads);
      const got = [];
      for (const name of ['gpt2-tiny', 'llama-gqa'])
        got.push(
          await page.evaluate((c) => window.rudderGolden.outputs(c), {
            weights: `${REF}/${name}`,
            golden: `${REF}/${name}`,
          }),
        );
      expect(watch.errors).toEqual([]);
      await page.close();
      runs.push(got);
    }
    expect(runs[0]!.map((r) => r.values.length)).toEqual(runs[1]!.map((r) => r.values.length));
    expect(runs[0]).toEqual(runs[1]);
  });

  it("runs the app's model worker on two threads by default, one with ?threads=1, and generates the same text", async () => {
    const texts: string[] = [];
    for (const query of ['', 'threads=1']) {
      const page: Page = await browser.newPage();
      const watch = watchPage(page);
      const model = HAS_ORGANISM ? '' : `model=/e2e-models/${TEXT_MODEL}`;
      await page.goto(`${inject('appUrl')}/?${[model, query].filter(Boolean).join('&')}`);
      await waitForModel(page);
      const backend = page.getByTestId('backend');
      expect(await backend.getAttribute('data-backend')).toBe('wasm');
      const note = (await backend.textContent()) ?? '';
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      if (query) expect(note).toMatch(/One thread \(asked for by \?threads=1\)\.$/);
      else if (cores >= 2) expect(note).toMatch(/Multi-threaded: [2-8] threads\./);
      else expect(note).toMatch(/One thread \(this device reports one core\)\.$/);
      // The helper workers started under the built app's Content-Security-Policy.
      const threads = Number(await backend.getAttribute('data-threads'));
      if (query || cores < 2) expect(threads).toBe(1);
      else expect(threads).toBeGreaterThan(1);
      await page.getByRole('textbox', { name: 'Prompt' }).fill('Once upon a time');
      await setField(page, 'Max tokens', '32');
      await setField(page, 'Temperature', '1');
      await setField(page, 'Seed', '11');
      texts.push((await generateAndWatch(page)).final);
      expect(watch.errors).toEqual([]);
      await page.close();
    }
    expect(texts[0]!.length).toBeGreaterThan(0);
    expect(texts[1]).toBe(texts[0]);
  });

  it('shares the native kernels between the threads in a worker, with the logits of one thread, and reports the forward time', async () => {
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
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    const results: string[] = [];
    const logits: number[][] = [];
    // Interleaved, so that load from other processes on the machine falls on both.
    for (const threads of [undefined, 1, undefined, 1]) {
      const r = await page.evaluate(([s, t]) => window.rudderGolden.forwardMsInWorker(s, t), [
        shape,
        threads,
      ] as const);
      results.push(`${r.threads} thread(s): median ${r.median} ms of [${r.ms}]`);
      // Rudder's kernels (the matmul above all) are shared between the threads, and the shares
      // add up to exactly what one thread computes.
      if (threads === 1 || cores < 2) expect(r.threads).toBe(1);
      else expect(r.threads).toBeGreaterThan(1);
      if (r.threads! > 1) expect(r.kernels.sharedCalls).toBeGreaterThan(0);
      else expect(r.kernels.sharedCalls).toBe(0);
      expect(r.logits).toHaveLength(shape.vocabSize);
      logits.push(r.logits);
    }
    console.log(`[wasm threads] GPT-2-small shape, 64-token forward in a worker:\n  ${results.join('\n  ')}`);
    for (const l of logits.slice(1)) expect(l).toEqual(logits[0]);
    await page.close();
  });
});
