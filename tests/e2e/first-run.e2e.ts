/**
 * The flaky first generation (issue 17): the page's debounced re-runs must not send again what a
 * Generate already ran. The race was: pasting pairs armed a 400 ms vector debounce; the lens view
 * built the vector at once, so the person could press Generate before the debounce fired; when it
 * did, it re-ran the steered side of the same request, putting the steered panel back to
 * "running" with an empty text next to a finished baseline. Page timers are held with Playwright's
 * clock, so the debounce fires exactly after the first generation has finished, every time.
 * RUDDER_RACE_REPEATS=50 runs each case 50 times.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setField, waitForModel } from './support/app';
import { launch } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const repeats = Number(process.env.RUDDER_RACE_REPEATS ?? 1) - 1;

/** Both panels and the steered text, read in one go (no run can start between the reads). */
function shown(page: Page) {
  return page.evaluate(() => {
    const q = (sel: string) => document.querySelector(sel);
    return {
      baseline: q('[data-testid=output-panel]')?.getAttribute('data-status'),
      steered: q('[data-testid=steered-panel]')?.getAttribute('data-status'),
      baselineText: q('[data-testid=output-text]')?.textContent ?? '',
      steeredText: q('[data-testid=steered-text]')?.textContent ?? '',
    };
  });
}

/** Opens the tiny text model with the page's timers held (they run only when the test says). */
async function open(browser: Browser, temperature: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.clock.install();
  await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
  await waitForModel(page);
  await setField(page, 'Max tokens', '16');
  await setField(page, 'Temperature', temperature);
  await setField(page, 'Seed', '5');
  await page.clock.pauseAt(Date.now() + 60_000);
  return page;
}

describe('the first generation on a page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  for (const temperature of ['0', '1']) {
    it(`is not re-run by a pairs debounce that fires after it finished (temperature ${temperature})`, {
      repeats,
    }, async () => {
      const page = await open(browser, temperature);
      await pastePairs(page);
      await page.clock.runFor(5); // the lens view's immediate request builds the vector
      await waitForVector(page);
      await page.getByRole('button', { name: 'Generate' }).click();
      const first = await waitForBoth(page);
      expect(first.steered).toBe(first.baseline);
      await page.clock.runFor(1000); // every debounce the paste armed fires now
      const after = await shown(page);
      expect(after).toEqual({
        baseline: 'done',
        steered: 'done',
        baselineText: first.baseline,
        steeredText: first.baseline,
      });
      await page.close();
    });

    it(`is not re-run by a steering debounce that Generate overtook (temperature ${temperature})`, {
      repeats,
    }, async () => {
      const page = await open(browser, temperature);
      await pastePairs(page);
      await page.clock.runFor(5);
      await waitForVector(page);
      await page.getByRole('button', { name: 'Generate' }).click();
      await waitForBoth(page);
      // Live now: a pairs edit arms a steered re-run; Generate runs the same request before it fires.
      await page.getByLabel('Pair 1 positive').fill('I adore this, it is marvellous');
      await page.getByRole('button', { name: 'Generate' }).click();
      const again = await waitForBoth(page);
      await page.clock.runFor(1000);
      const after = await shown(page);
      expect(after).toMatchObject({ baseline: 'done', steered: 'done', steeredText: again.steered });
      await page.close();
    });
  }
});
