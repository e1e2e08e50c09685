/**
 * The Sparse autoencoder tab on the shipped Llama organism, as a person uses it: small settings,
 * Train, the features listed with their top texts (a token marked), "Steer with this feature",
 * and the steered text differs from the baseline; the link keeps the settings.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, watchPage } from './support/browser';
import { experimentOf } from './support/reference';
import { waitForBoth } from './support/steer';

const app = () => inject('appUrl');

describe.skipIf(!HAS_ORGANISM)('the Sparse autoencoder view', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('trains with small settings, lists features with their texts, and steers by one', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 1000 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await page.getByRole('tab', { name: 'Sparse autoencoder' }).click();
    await setField(page, 'Features', '64');
    await setField(page, 'Steps', '60');
    await page.getByRole('button', { name: 'Train' }).click();
    await page.waitForFunction(
      () => {
        const s = document.querySelector('[data-testid=sae-view]')?.getAttribute('data-status');
        return s === 'done' || s === 'error';
      },
      undefined,
      { timeout: 240_000 },
    );
    expect(await page.getByTestId('sae-view').getAttribute('data-status')).toBe('done');
    expect(await page.getByTestId('sae-summary').textContent()).toMatch(/64 features at layer 4/);
    const features = page.getByTestId('sae-feature');
    expect(await features.count()).toBeGreaterThan(0);
    expect((await features.first().locator('mark').first().textContent())!.length).toBeGreaterThan(0);

    await features.first().getByRole('button', { name: 'Steer with this feature' }).click();
    const { baseline, steered } = await waitForBoth(page);
    expect(steered).not.toBe(baseline);
    expect(await page.getByTestId('imported-vector').textContent()).toContain('(SAE feature,');
    const exp = await experimentOf(page.url());
    expect(exp.view.sae).toMatchObject({ features: 64, steps: 60, train: true });
    expect(exp.steering.vector).toMatchObject({ origin: 'sae-feature', hook: 'resid_post' });
    expect(watch.errors).toEqual([]);
  }, 600_000);
});
