/**
 * "16-bit weights" in the model picker: the model in use loads again with its matrices rounded to
 * bfloat16 (half the weight memory on WebAssembly), keeps working, and the link carries the choice,
 * so a fresh browser opens it the same way; unticking goes back to the checkpoint's values.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decode } from '../../src/experiment';
import { waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const MODEL = `/e2e-models/${TEXT_MODEL}`;

/** The model info's weights: how they are held and their bytes on the device. */
async function weights(page: Page, precision: 'checkpoint' | 'bfloat16'): Promise<number> {
  const row = page.locator(`[data-testid=weights][data-precision=${precision}]`);
  await row.waitFor({ timeout: 120_000 });
  await page.locator('[data-testid=loading]').waitFor({ state: 'detached' });
  return Number(await row.getAttribute('data-bytes'));
}

describe('16-bit weights', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('reloads the model rounded to bfloat16, in half the memory, and the link carries it', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page, new RegExp(TEXT_MODEL));
    const box = page.getByLabel('16-bit weights');
    expect(await box.isChecked()).toBe(false);
    const before = await weights(page, 'checkpoint');
    await expect(page.getByTestId('weights').textContent()).resolves.toMatch(/the checkpoint's values/);
    await pastePairs(page);
    await waitForVector(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    const published = await waitForBoth(page);

    await box.check();
    const after = await weights(page, 'bfloat16');
    await expect(page.getByTestId('weights').textContent()).resolves.toMatch(/matrices rounded to bfloat16/);
    // The matrices are nearly all of this model's weights: about half the bytes.
    expect(after).toBeLessThan(0.6 * before);
    expect(after).toBeGreaterThan(0.45 * before);
    // The vector is rebuilt on the rounded model, and both sides generate again.
    await waitForVector(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    const rounded = await waitForBoth(page);
    expect(rounded.baseline.length).toBeGreaterThan(0);
    expect(rounded.steered.length).toBeGreaterThan(0);
    await screenshot(page, 'precision-bfloat16');

    // The link names the model with its precision.
    await page.waitForFunction(() => window.location.hash.length > 3);
    const link = page.url();
    const experiment = await decode(new URL(link).hash.slice(1));
    expect(experiment?.model).toMatchObject({ kind: 'url', url: MODEL, precision: 'bfloat16' });

    // A fresh browser opens it rounded too, and shows the box ticked.
    const other = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const opened = await other.newPage();
    const otherWatch = watchPage(opened);
    await opened.goto(link);
    expect(await weights(opened, 'bfloat16')).toBe(after);
    expect(await opened.getByLabel('16-bit weights').isChecked()).toBe(true);
    expect(await waitForBoth(opened)).toEqual(rounded);
    await screenshot(opened, 'precision-link-phone');
    expect(otherWatch.errors).toEqual([]);
    await other.close();

    // Unticked: the checkpoint's values again, and the text they gave.
    await box.uncheck();
    expect(await weights(page, 'checkpoint')).toBe(before);
    await waitForVector(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    expect(await waitForBoth(page)).toEqual(published);
    expect((await decode(new URL(page.url()).hash.slice(1)))?.model).not.toHaveProperty('precision');
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
