/**
 * A first visit (issue 15): the bare page, in a browser that has never closed the tour, steers the
 * first-visit example on load with no click (the Sentiment pairs on the default organism at the
 * strength the example names), and the one-screen tour says what is on the page. Escape or
 * "Got it" closes the tour for good (it stays closed after a reload); the top bar's Tour button
 * opens it again. On a 390×844 phone (and the other two screens) the tour covers no control.
 * The steered story is judged by the organism's own sentiment judge (interp's eval, trained on
 * the labelled stories that ship beside it).
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sourceFromArg } from '../../src/engine/node';
import { decode, FIRST_VISIT_STRENGTH, STORY_PROMPT } from '../../src/experiment';
import { readOrganismData } from '../../src/interp';
import { sentimentJudge } from '../../src/interp/eval/steering-eval';
import { HAS_ORGANISM, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { clippedSelects, coveredBy, overlappingControls } from './support/layout';
import { waitForBoth } from './support/steer';

const app = () => inject('appUrl');
const ORGANISM = resolve(import.meta.dirname, '../../models/organism-llama');

/** Opens the bare page in a fresh browser profile (nothing saved, the tour never closed). */
async function firstVisit(browser: Browser, width: number, height: number) {
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  const watch = watchPage(page);
  await page.goto(`${app()}/`);
  await waitForModel(page, /organism-llama/);
  const shown = await waitForBoth(page);
  return { context, page, errors: watch.errors, shown };
}

const tourShown = (page: Page) => page.getByTestId('tour').isVisible();

describe.skipIf(!HAS_ORGANISM)('a first visit', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch({ firstVisit: true });
  });
  afterAll(() => browser?.close());

  it('steers the example with no click, and the tour closes for good and opens again', async () => {
    const judge = sentimentJudge(await readOrganismData(sourceFromArg(ORGANISM)));
    const { context, page, errors, shown } = await firstVisit(browser, 1366, 768);
    // Nothing was clicked: the page generated both sides on its own.
    expect(await page.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe(STORY_PROMPT);
    expect(await page.getByTestId('coefficient').textContent()).toBe(FIRST_VISIT_STRENGTH.toFixed(2));
    expect(shown.steered).not.toBe(shown.baseline);
    // The texts are the generated stories (the prompt is shown beside them, not in them).
    const [baseline, steered] = [shown.baseline, shown.steered];
    console.log(
      `first visit: baseline ${judge.classify(baseline)} (log-odds ${judge.logOdds(baseline).toFixed(1)}), ` +
        `steered ${judge.classify(steered)} (log-odds ${judge.logOdds(steered).toFixed(1)})`,
    );
    expect(judge.classify(steered)).toBe('positive');
    expect(judge.logOdds(steered)).toBeGreaterThan(judge.logOdds(baseline));
    // The example is an experiment like any other: it is in the address.
    const exp = await decode(new URL(page.url()).hash);
    expect(exp?.steering.preset).toBe('sentiment');
    expect(exp?.steering.pairs.length).toBeGreaterThan(0);

    expect(await tourShown(page)).toBe(true);
    expect(await page.getByTestId('tour').locator('li').count()).toBeGreaterThanOrEqual(3);
    expect(await page.getByTestId('tour').locator('li').count()).toBeLessThanOrEqual(5);
    await screenshot(page, 'first-visit-1366x768');
    await page.keyboard.press('Escape');
    await page.getByTestId('tour').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => localStorage.getItem('rudder.tour'))).toBe('seen');

    await page.reload();
    await waitForModel(page, /organism-llama/);
    expect(await tourShown(page)).toBe(false);

    await page.getByRole('button', { name: 'Tour', exact: true }).click();
    expect(await tourShown(page)).toBe(true);
    await page.getByRole('button', { name: 'Got it' }).click();
    await page.getByTestId('tour').waitFor({ state: 'detached' });
    await page.reload();
    await waitForModel(page, /organism-llama/);
    expect(await tourShown(page)).toBe(false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("a Generate pressed while the example's own run is going ends in the same texts, run once", async () => {
    const { context, errors, shown } = await firstVisit(browser, 1366, 768);
    await context.close();
    // A fresh first visit; Generate as soon as the model is in, while the example's run is going.
    const again = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const second = await again.newPage();
    const watch = watchPage(second);
    await second.goto(`${app()}/`);
    await waitForModel(second, /organism-llama/);
    await second.getByRole('button', { name: 'Generate' }).click();
    const pressed = await waitForBoth(second);
    expect(pressed).toEqual(shown);
    // Nothing runs again afterwards: both panels stay finished with the same texts.
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 200));
      const now = await second.evaluate(() => ({
        baseline: document.querySelector('[data-testid=output-panel]')?.getAttribute('data-status'),
        steered: document.querySelector('[data-testid=steered-panel]')?.getAttribute('data-status'),
        text: document.querySelector('[data-testid=steered-text]')?.textContent,
      }));
      expect(now).toEqual({ baseline: 'done', steered: 'done', text: shown.steered });
    }
    expect([...errors, ...watch.errors]).toEqual([]);
    await again.close();
  });

  for (const [width, height] of [
    [390, 844],
    [1024, 768],
    [1440, 900],
  ] as const) {
    it(`shows the tour at ${width}×${height} covering no control`, async () => {
      const { context, page, errors } = await firstVisit(browser, width, height);
      expect(await tourShown(page)).toBe(true);
      const overlaps = await overlappingControls(page);
      expect(overlaps, `overlapping controls: ${overlaps.join('; ')}`).toEqual([]);
      expect(await clippedSelects(page)).toEqual([]);
      // What the tour talks about is on top where it is, the tour included.
      for (const [what, control] of [
        ['the prompt', page.getByRole('textbox', { name: 'Prompt' })],
        ['the strength slider', page.getByRole('slider', { name: 'Strength' })],
        ['Generate', page.getByRole('button', { name: 'Generate' })],
        ['the Tour button', page.getByRole('button', { name: 'Tour', exact: true })],
        ['Got it', page.getByRole('button', { name: 'Got it' })],
        ['the steered story', page.getByTestId('steered-panel').getByRole('heading', { level: 2 })],
        ['the views', page.getByRole('tab', { name: 'Logit lens' })],
      ] as const)
        expect(await coveredBy(control), `${what} is covered`).toBeUndefined();
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, `first-visit-${width}x${height}`);
      expect(errors).toEqual([]);
      await context.close();
    });
  }
});
