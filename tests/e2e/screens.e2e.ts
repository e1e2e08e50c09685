/**
 * The page at the three screens a class meets it on (issue 15): a 1440×900 laptop, a 1024×768
 * projector or tablet, a 390×844 phone. At each, after steering a generation as a user does, with
 * every view open in turn and then with a lesson open, no two visible controls overlap (their
 * boxes, read from the page) and no dropdown cuts its label off. Screenshots of each state are
 * written to test-results/screenshots/screens-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { clippedSelects, overlappingControls } from './support/layout';
import { pastePairs, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const SCREENS = [
  [1440, 900],
  [1024, 768],
  [390, 844],
] as const;

async function checkLayout(page: Page, what: string): Promise<void> {
  const overlaps = await overlappingControls(page);
  expect(overlaps, `${what}: overlapping controls: ${overlaps.join('; ')}`).toEqual([]);
  const clipped = await clippedSelects(page);
  expect(clipped, `${what}: dropdowns cut off: ${clipped.join('; ')}`).toEqual([]);
}

describe.skipIf(!HAS_ORGANISM)('the page at 1440×900, 1024×768 and 390×844', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  for (const [width, height] of SCREENS) {
    it(`has no overlapping controls at ${width}×${height}, in every view and with a lesson open`, async () => {
      const size = `${width}x${height}`;
      const page = await browser.newPage({ viewport: { width, height } });
      const watch = watchPage(page);
      await page.goto(`${app()}/`);
      await waitForModel(page, /organism-llama/);
      await setField(page, 'Max tokens', '24');
      await pastePairs(page);
      await waitForVector(page);
      await page.getByRole('button', { name: 'Generate' }).click();
      await waitForBoth(page);
      await page.getByTestId('vector-lens').and(page.locator('[data-status=ready]')).waitFor();

      for (const [tab, name] of [
        ['Logit lens', 'lens'],
        ['Head gates', 'heads'],
        ['Refusal circuit', 'refusal'],
        ['Function vectors', 'fv'],
      ] as const) {
        await page.getByRole('tab', { name: tab }).click();
        if (name === 'fv') {
          // Its figures, controls and Steer button all on screen.
          await page.getByLabel('Task').selectOption('past_tense');
          await page.getByTestId('fv-steer').waitFor({ timeout: 180_000 });
        }
        await page.waitForTimeout(500); // the view's first reading settles
        await checkLayout(page, `${size}, ${tab}`);
        await page.evaluate(() => window.scrollTo(0, 0));
        await screenshot(page, `screens-${size}-${name}`);
      }

      // Every explanation open at once: their text flows, nothing lands on a control.
      for (const summary of await page.locator('.explainer > summary').all()) await summary.click();
      await checkLayout(page, `${size}, explanations open`);
      await screenshot(page, `screens-${size}-explained`);

      await page.goto(`${app()}/?lesson=sentiment-vector`);
      await page.getByTestId('lesson-panel').waitFor();
      await waitForModel(page, /organism-llama/);
      await checkLayout(page, `${size}, lesson open`);
      await screenshot(page, `screens-${size}-lesson`);
      expect(watch.errors).toEqual([]);
      await page.close();
    });
  }
});
