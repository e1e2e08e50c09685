/**
 * The steering loop: paste contrast pairs, the vector builds (with per-layer scores in the layer
 * strip), Generate shows the baseline and the steered side; at strength 0 they agree, and moving
 * the slider changes the steered text (re-run live, vector not rebuilt) while the baseline stays.
 * Sampled (two interleaved rows, same seed) and greedy (one batch of two rows).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');

describe('the steering loop', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  for (const temperature of ['1', '0']) {
    it(`steers the continuation while the baseline stays (temperature ${temperature})`, async () => {
      const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
      const watch = watchPage(page);
      await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
      await waitForModel(page, new RegExp(TEXT_MODEL));
      await setField(page, 'Max tokens', '16');
      await setField(page, 'Temperature', temperature);
      await setField(page, 'Seed', '5');

      await pastePairs(page);
      expect(await page.getByLabel('Pair 4 negative').inputValue()).toBe('The worst loss ever');
      await waitForVector(page);
      const status = (await page.getByTestId('vector-status').textContent()) ?? '';
      expect(status).toMatch(/from 4 pairs/);
      // The layer strip scores every layer of the model from the same pass.
      const scores = await page
        .locator('[data-testid=layer-strip] button')
        .evaluateAll((bs) => bs.map((b) => b.getAttribute('data-separation')));
      expect(scores.length).toBe(4);
      for (const s of scores) expect(Number(s)).toBeGreaterThanOrEqual(-1);

      await page.getByRole('button', { name: 'Generate' }).click();
      const zero = await waitForBoth(page);
      expect(zero.baseline.length).toBeGreaterThan(0);
      // Strength 0 adds nothing: same seed, same text.
      expect(zero.steered).toBe(zero.baseline);
      await screenshot(page, `steer-zero-t${temperature}`);

      const top = await slide(page, 'End');
      expect(Number(top)).toBeGreaterThan(0);
      const steered = await waitForBoth(page);
      expect(steered.baseline).toBe(zero.baseline);
      expect(steered.steered).not.toBe(zero.baseline);
      // A coefficient change re-runs generation only: the vector was not read again.
      expect(await page.getByTestId('vector-status').textContent()).toBe(status);
      await screenshot(page, `steer-max-t${temperature}`);

      const bottom = await slide(page, 'Home');
      expect(Number(bottom)).toBeLessThan(0);
      const negative = await waitForBoth(page);
      expect(negative.baseline).toBe(zero.baseline);
      expect(negative.steered).not.toBe(steered.steered);

      // Choosing another layer in the strip rebuilds from cached activations and re-runs.
      await page.getByRole('button', { name: /^Layer 1\b/ }).click();
      await page.waitForFunction(() =>
        /layer 1 from/.test(document.querySelector('[data-testid=vector-status]')?.textContent ?? ''),
      );
      await waitForBoth(page);
      expect(watch.errors).toEqual([]);
      await page.close();
    });
  }

  it('reports pasted lines that are not pairs and keeps the editor open', async () => {
    const page = await browser.newPage();
    await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
    await waitForModel(page);
    await pastePairs(page, 'good | bad\nonly one side');
    expect(await page.getByTestId('pairs-problems').textContent()).toContain('Line 2');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('button', { name: 'Add pair' }).click();
    await page.getByLabel('Pair 1 positive').fill('calm');
    await page.getByLabel('Pair 1 negative').fill('angry');
    await waitForVector(page);
    await page.getByRole('button', { name: 'Remove pair 1' }).click();
    await page.waitForFunction(
      () => document.querySelector('[data-testid=vector-status]')?.getAttribute('data-status') === 'none',
    );
    await page.close();
  });
});
