/**
 * The flaky first generation (issue 17): the page's debounced jobs must not send again what a
 * Generate already ran, and a run cancelled by anything but Stop is never shown as finished. The
 * race was: pasting pairs armed a 400 ms vector debounce that, once the vector was built, re-ran
 * the steered side; a Generate pressed before it fired finished, then the debounce put the steered
 * panel back to "running" with an empty text next to a finished baseline. Page timers are held
 * with Playwright's clock, so the debounce fires exactly after the first generation has finished,
 * every time (the old code fails every run). RUDDER_RACE_REPEATS=50 runs each case 50 times.
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

/**
 * The panels as sampled for `ms` of real time after the page's timers fired: a re-run started by a
 * debounce shows up as a "running" sample (the build it waits for is quick, the model tiny).
 */
async function samples(page: Page, ms = 2000): Promise<Awaited<ReturnType<typeof shown>>[]> {
  const out = [];
  for (const end = Date.now() + ms; Date.now() < end; ) {
    out.push(await shown(page));
    await new Promise((r) => setTimeout(r, 100));
  }
  await waitForVector(page);
  out.push(await shown(page));
  return out;
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
      // Generate before the pairs' debounce fires: the worker builds the vector for the run itself.
      await page.getByRole('button', { name: 'Generate' }).click();
      const first = await waitForBoth(page);
      expect(first.steered).toBe(first.baseline);
      await page.clock.runFor(1000); // every debounce the paste armed fires now
      for (const after of await samples(page))
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
      await page.clock.runFor(1000);
      await waitForVector(page);
      await page.getByRole('button', { name: 'Generate' }).click();
      await waitForBoth(page);
      // Live now: a pairs edit arms a steered re-run; Generate runs the same request before it fires.
      await page.getByLabel('Pair 1 positive').fill('I adore this, it is marvellous');
      await page.getByRole('button', { name: 'Generate' }).click();
      const again = await waitForBoth(page);
      await page.clock.runFor(1000); // the edit's debounces fire now
      for (const after of await samples(page))
        expect(after).toMatchObject({ baseline: 'done', steered: 'done', steeredText: again.steered });
      await page.close();
    });
  }
});
