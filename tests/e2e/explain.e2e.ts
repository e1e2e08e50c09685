/**
 * The page explains itself (issue 15): every panel and view has a folded "What am I looking at?"
 * that opens to a few plain sentences, with the jargon it uses defined there (steering, logit
 * lens, KL, bypass, induce); the refusal view links to the methods page shipped with the app
 * (docs/METHODS.md rendered as methods.html) instead of citing "METHODS.md §5".
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HAS_ORGANISM, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';

const app = () => inject('appUrl');

/** Opens the explainer of `id` and returns its text and the terms it defines. */
async function openExplainer(page: Page, id: string): Promise<{ text: string; defined: string[] }> {
  const box = page.locator(`[data-explains=${id}]`);
  expect(await box.count(), `one explainer for ${id}`).toBe(1);
  expect(await box.evaluate((d) => (d as HTMLDetailsElement).open), `${id} starts folded`).toBe(false);
  await box.getByText('What am I looking at?').click();
  expect(await box.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  return {
    text: (await box.locator('p').textContent()) ?? '',
    defined: await box.locator('dfn').allTextContents(),
  };
}

describe.skipIf(!HAS_ORGANISM)('the page explains itself', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('has a folded explanation on every panel and view, defining the jargon where it appears', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    const panels: [string, string][] = [
      ['prompt', 'prompt-panel'],
      ['share', 'share-panel'],
      ['model', 'model-panel'],
      ['steering', 'steering-panel'],
      ['baseline', 'output-panel'],
      ['steered', 'steered-panel'],
    ];
    for (const [id, panel] of panels) {
      const inside = await page.getByTestId(panel).locator(`[data-explains=${id}]`).count();
      expect(inside, `the ${id} explainer is in its panel`).toBe(1);
      const { text } = await openExplainer(page, id);
      expect(text.length, `${id}: ${text}`).toBeGreaterThan(80);
    }
    const steering = await page.locator('[data-explains=steering] dfn').allTextContents();
    expect(steering).toEqual(expect.arrayContaining(['Steering', 'Contrast pairs', 'steering vector']));
    await screenshot(page, 'explain-panels-open');

    const views: [string, string, string[]][] = [
      ['Logit lens', 'lens', ['logit lens', 'KL']],
      ['Head gates', 'heads', ['heads', 'Gating']],
      ['Refusal circuit', 'refusal', ['refusal direction', 'Bypass', 'Induce', 'KL']],
    ];
    for (const [tab, id, terms] of views) {
      await page.getByRole('tab', { name: tab }).click();
      const { text, defined } = await openExplainer(page, id);
      expect(text.length).toBeGreaterThan(80);
      expect(defined, `${tab} defines its terms`).toEqual(expect.arrayContaining(terms));
    }
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('links the refusal view to the methods page shipped with the app', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await page.getByLabel('Chat template', { exact: true }).check();
    await page.getByRole('tab', { name: 'Refusal circuit' }).click();
    await page.getByTestId('find-refusal').click();
    await page.getByTestId('refusal-summary').waitFor({ timeout: 180_000 });
    const text = await page.getByTestId('refusal-view').textContent();
    expect(text).not.toContain('METHODS.md');
    const caption = page.locator('.refusal-figure figcaption').first();
    const link = caption.getByTestId('method-link');
    expect(await link.getAttribute('href')).toBe('methods.html#method-5');

    const [methods] = await Promise.all([context.waitForEvent('page'), link.click()]);
    await methods.waitForLoadState();
    expect(new URL(methods.url()).pathname).toBe('/methods.html');
    const heading = methods.locator('#method-5');
    expect(await heading.textContent()).toMatch(/^5\. Refusal direction/);
    expect(await heading.isVisible()).toBe(true);
    // The section itself: its formula's words, as docs/METHODS.md has them.
    expect(await methods.locator('body').textContent()).toMatch(/bypass = mean harmful-validation score/);
    await screenshot(methods, 'explain-methods-page');
    // Back to the app: the experiment in the first tab is untouched.
    expect(await page.getByTestId('refusal-summary').count()).toBe(1);
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
