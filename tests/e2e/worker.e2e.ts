/**
 * The model worker's API, driven from a test page: progress events, streaming, a newer
 * generate cancelling the older one, cancel(), errors as { code, message }, and a failed load
 * that leaves the previous model current.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';

describe('the model worker', () => {
  let browser: Browser;
  let page: Page;
  let watch: { errors: string[] };

  beforeAll(async () => {
    browser = await launch();
    page = await browser.newPage();
    watch = watchPage(page);
    await page.goto(`${inject('devUrl')}/tests/e2e/pages/worker.html`);
    await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready');
  });
  afterAll(() => browser?.close());

  it('loads a model with progress events ending at each file’s full size', async () => {
    const out = await page.evaluate(async (url) => {
      const events: Parameters<NonNullable<Parameters<typeof window.rudderWorker.client.load>[1]>>[0][] = [];
      const loaded = await window.rudderWorker.client.load(
        { model: { kind: 'url', url }, backend: 'wasm' },
        (e) => events.push(e),
      );
      return { loaded, events };
    }, `/e2e-models/${TEXT_MODEL}`);
    expect(out.loaded.spec.modelType).toBe('gpt2');
    expect(out.loaded.hasTokenizer).toBe(true);
    expect(out.loaded.backend.name).toBe('wasm');
    const weights = out.events.flatMap((e) =>
      e.kind === 'file' && e.file === 'model.safetensors' ? [e] : [],
    );
    expect(weights.length).toBeGreaterThan(0);
    const last = weights[weights.length - 1]!;
    expect(last.loaded).toBe(last.total);
    // The estimate comes once, before the first byte of the weights.
    const estimates = out.events.flatMap((e) => (e.kind === 'estimate' ? [e.estimate] : []));
    expect(estimates).toHaveLength(1);
    expect(estimates[0]!.parameters).toBe(out.loaded.parameters);
    expect(out.events.findIndex((e) => e.kind === 'estimate')).toBeLessThan(
      out.events.findIndex((e) => e.kind === 'file' && e.file === 'model.safetensors'),
    );
  });

  it('streams tokens, and a newer generate cancels the running one between tokens', async () => {
    const out = await page.evaluate(async () => {
      const { baselineOf } = window.rudderWorker;
      const streamed: number[] = [];
      const first = baselineOf('Once', { maxTokens: 4000, temperature: 1, seed: 3 }, (t) =>
        streamed.push(t.id),
      );
      while (streamed.length < 5) await new Promise((r) => setTimeout(r, 5));
      const second = baselineOf('Twice', { maxTokens: 10, temperature: 1, seed: 3 });
      const [a, b] = await Promise.all([first, second]);
      return { a, b, streamedAtLeast: streamed.length };
    });
    expect(out.a.stopReason).toBe('cancelled');
    expect(out.a.tokens.length).toBeLessThan(4000);
    expect(out.streamedAtLeast).toBeGreaterThanOrEqual(5);
    expect(out.b.stopReason).toBe('max-tokens');
    expect(out.b.tokens).toHaveLength(10);
  });

  it('gives the same tokens for the same seed, and stops on cancel()', async () => {
    const out = await page.evaluate(async () => {
      const { client: c, baselineOf } = window.rudderWorker;
      const req = { maxTokens: 12, temperature: 0.9, topP: 0.9, seed: 42 };
      const x = await baselineOf('Seeds', req);
      const y = await baselineOf('Seeds', req);
      let n = 0;
      const long = baselineOf('Seeds', { ...req, maxTokens: 4000 }, () => {
        n++;
      });
      while (n < 3) await new Promise((r) => setTimeout(r, 5));
      await c.cancel();
      const z = await long;
      return { x: x.tokens, y: y.tokens, z: z.stopReason, zn: z.tokens.length };
    });
    expect(out.y).toEqual(out.x);
    expect(out.z).toBe('cancelled');
    expect(out.zn).toBeLessThan(4000);
  });

  it('fails a bad load with { code, message } and keeps the previous model current', async () => {
    const out = await page.evaluate(async () => {
      const { client, settle, baselineOf } = window.rudderWorker;
      const bad = await settle(() => client.load({ model: { kind: 'url', url: '/e2e-models/unsupported' } }));
      const still = await settle(() => baselineOf('Still here', { maxTokens: 4, temperature: 0 }));
      return { bad, still };
    });
    expect(out.bad).toMatchObject({ ok: false, code: 'unsupported-model' });
    expect(out.bad.ok || out.bad.message).toMatch(/model_type "bert" is not supported/);
    expect(out.still.ok).toBe(true);
    expect(watch.errors).toEqual([]);
  });
});
