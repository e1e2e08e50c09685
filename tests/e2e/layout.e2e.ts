/**
 * Look and feel: on a 1366×768 laptop screen the steering loop (prompt, pairs, strength slider,
 * both outputs) is on screen without scrolling; the theme switch changes the colours and travels
 * in the link; the loop works from the keyboard alone (Tab reaches the slider, arrow keys move
 * it, focus is visible). Screenshots at 1366×768 and 1920×1080, light and dark.
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
/** The shipped organism when it is built (what people see); the tests' tiny model otherwise. */
const start = () => (HAS_ORGANISM ? `${app()}/` : `${app()}/?model=/e2e-models/${TEXT_MODEL}`);

async function steerAndGenerate(page: Page): Promise<void> {
  await waitForModel(page);
  await setField(page, 'Max tokens', '40');
  await pastePairs(page);
  await waitForVector(page);
  await page.getByRole('button', { name: 'Generate' }).click();
  await waitForBoth(page);
}

/** The element's box, asserted to lie inside the viewport. */
async function onScreen(el: Locator, what: string, size: { width: number; height: number }) {
  const box = await el.boundingBox();
  expect(box, `${what} is rendered`).not.toBeNull();
  expect(box!.x, `${what} left edge`).toBeGreaterThanOrEqual(0);
  expect(box!.y, `${what} top edge`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what} right edge`).toBeLessThanOrEqual(size.width);
  expect(box!.y + box!.height, `${what} bottom edge`).toBeLessThanOrEqual(size.height);
  return box!;
}

/** Copy link writes the hash at once (then says so); the page's own address is the link. */
async function copyLink(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Copy link' }).click();
  await page.getByTestId('share-note').waitFor();
  return page.evaluate(() => window.location.href);
}

const background = (page: Page) => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
/** Perceived lightness of an rgb() colour, 0 (black) to 255 (white). */
const lightness = (rgb: string) => {
  const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
  return 0.299 * r + 0.587 * g + 0.114 * b;
};

describe('layout', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('fits the steering loop on a 1366×768 screen without scrolling, in light and dark', async () => {
    const size = { width: 1366, height: 768 };
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: size, colorScheme });
      const watch = watchPage(page);
      await page.goto(start());
      await steerAndGenerate(page);
      await page.evaluate(() => window.scrollTo(0, 0));
      const parts: [string, Locator][] = [
        ['the prompt', page.getByRole('textbox', { name: 'Prompt', exact: true })],
        ['the Generate button', page.getByRole('button', { name: 'Generate' })],
        ['the pairs editor', page.getByTestId('pairs-editor')],
        ['the strength slider', page.getByRole('slider', { name: 'Strength' })],
        ['the baseline output', page.getByTestId('output-panel')],
        ['the steered output', page.getByTestId('steered-panel')],
        ['the theme switch', page.getByTestId('theme-switch')],
      ];
      const boxes = [];
      for (const [what, el] of parts) boxes.push(await onScreen(el, what, size));
      expect(await page.evaluate(() => window.scrollY)).toBe(0);
      // Side by side, not stacked: the outputs sit to the right of the prompt.
      expect(boxes[4]!.x).toBeGreaterThan(boxes[0]!.x + boxes[0]!.width);
      const dark = lightness(await background(page)) < 80;
      expect(dark).toBe(colorScheme === 'dark');
      await screenshot(page, `layout-1366x768-${colorScheme}`);
      expect(watch.errors).toEqual([]);
      await page.close();
    }
  });

  it('keeps the Lessons link in the top bar and the vector lens tokens unclipped at 1366×768', async () => {
    const size = { width: 1366, height: 768 };
    const page = await browser.newPage({ viewport: size });
    const watch = watchPage(page);
    await page.goto(start());
    await steerAndGenerate(page);
    await page.waitForSelector('[data-testid=vector-lens][data-status=ready]');
    await page.evaluate(() => window.scrollTo(0, 0));
    const link = page.getByTestId('lessons-link');
    expect(await link.count()).toBe(1);
    const inBar = await link.evaluate((el) => el.parentElement?.matches('.topbar .prefs') ?? false);
    expect(inBar, 'the link is one of the bar’s settings').toBe(true);
    const linkBox = await onScreen(link, 'the Lessons link', size);
    const bar = (await page.locator('.topbar').boundingBox())!;
    expect(linkBox.y).toBeGreaterThanOrEqual(bar.y);
    expect(linkBox.y + linkBox.height).toBeLessThanOrEqual(bar.y + bar.height);
    const model = (await page.locator('#model-area').boundingBox())!;
    const overlaps = (a: typeof bar, b: typeof bar) =>
      a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    expect(overlaps(linkBox, model), 'the link covers the model panel').toBe(false);
    // Every token the vector lens lists is shown whole, inside its line.
    for (const id of ['lens-promoted', 'lens-suppressed']) {
      const clipped = await page.getByTestId(id).evaluate((p) => {
        const line = p.getBoundingClientRect();
        const tokens = [...p.querySelectorAll('.lens-token')].map((t) => t.getBoundingClientRect());
        return {
          tokens: tokens.length,
          outside: tokens.filter((t) => t.right > line.right + 0.5 || t.left < line.left - 0.5).length,
          overflow: p.scrollWidth > p.clientWidth + 1 && getComputedStyle(p).overflowX === 'hidden',
        };
      });
      expect(clipped.tokens, `${id} lists tokens`).toBeGreaterThan(0);
      expect(clipped.outside, `${id} tokens outside the line`).toBe(0);
      expect(clipped.overflow, `${id} hides what overflows`).toBe(false);
    }
    await screenshot(page, 'layout-1366x768-lessons-lens');
    expect(watch.errors).toEqual([]);
    await page.close();
  });

  it('shows the loop on a 1920×1080 projector screen and in large-text mode', async () => {
    const size = { width: 1920, height: 1080 };
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: size, colorScheme });
      await page.goto(start());
      await steerAndGenerate(page);
      await onScreen(page.getByRole('slider', { name: 'Strength' }), 'the slider', size);
      await onScreen(page.getByTestId('steered-panel'), 'the steered output', size);
      await screenshot(page, `layout-1920x1080-${colorScheme}`);
      if (colorScheme === 'light') {
        const fontSize = () =>
          page.evaluate(() => Number.parseFloat(getComputedStyle(document.documentElement).fontSize));
        const normal = await fontSize();
        const toggle = page.getByRole('button', { name: /Large text/ });
        await toggle.click();
        expect(await toggle.getAttribute('aria-pressed')).toBe('true');
        expect(await fontSize()).toBeGreaterThan(normal * 1.2);
        await screenshot(page, 'layout-1920x1080-large-text');
        // A setting of this screen, kept across visits.
        await page.reload();
        await waitForModel(page);
        expect(await fontSize()).toBeGreaterThan(normal * 1.2);
        await page.getByRole('button', { name: /Large text/ }).click();
        expect(await fontSize()).toBe(normal);
      }
      await page.close();
    }
  });

  it('shows loading, empty and error states in the bar and the panels', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    // Hold the weights back for a moment so the loading state can be seen.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    await context.route(/model\.safetensors/, async (route) => {
      await held;
      await route.continue();
    });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
    const chip = page.getByTestId('model-chip');
    await page.waitForFunction(
      () => document.querySelector('[data-testid=model-chip]')?.getAttribute('data-state') === 'loading',
    );
    expect(await chip.locator('progress').count()).toBe(1);
    // Empty states say what to do next.
    expect(await page.getByTestId('output-panel').textContent()).toMatch(/Press Generate/);
    expect(await page.getByTestId('pairs-editor').textContent()).toMatch(/No pairs yet/);
    await screenshot(page, 'layout-loading');
    release();
    await waitForModel(page);
    expect(await chip.getAttribute('data-state')).toBe('ready');
    expect(await chip.textContent()).toMatch(new RegExp(TEXT_MODEL));

    // A model that fails: the bar says so and points to the model panel, which explains.
    await page.goto(`${app()}/?model=/e2e-models/malformed`);
    await page.getByTestId('load-error').waitFor();
    expect(await chip.getAttribute('data-state')).toBe('error');
    await screenshot(page, 'layout-load-error');
    await page.getByRole('button', { name: 'Choose a model' }).click();
    expect(await page.evaluate(() => document.activeElement?.closest('#model-area') !== null)).toBe(true);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('switches the theme and carries it in the link', async () => {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      colorScheme: 'light',
    });
    const page = await context.newPage();
    await page.goto(start());
    await waitForModel(page);
    expect(await page.getByRole('button', { name: 'Auto theme' }).getAttribute('aria-pressed')).toBe('true');
    const light = await background(page);
    expect(lightness(light)).toBeGreaterThan(200);

    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(lightness(await background(page))).toBeLessThan(80);
    expect(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).toBe('true');
    const link = await copyLink(page);
    await context.close();

    // A fresh browser whose system setting is light opens the link in dark.
    const other = await browser.newContext({ viewport: { width: 1366, height: 768 }, colorScheme: 'light' });
    const opened = await other.newPage();
    await opened.goto(link);
    await waitForModel(opened);
    await opened.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
    expect(lightness(await background(opened))).toBeLessThan(80);
    await opened.getByRole('button', { name: 'Light theme' }).click();
    expect(lightness(await background(opened))).toBeGreaterThan(200);
    await other.close();
  });

  it('works from the keyboard: Tab reaches the slider, arrow keys move it, focus shows', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(start());
    await waitForModel(page);
    await pastePairs(page);
    await waitForVector(page);
    const link = await copyLink(page);
    // From the top of a fresh page (the link keeps the pairs): no pointer from here on.
    const reopen = async () => {
      await page.goto('about:blank');
      await page.goto(link);
      await waitForModel(page);
      await waitForVector(page);
    };
    await reopen();

    const slider = page.getByRole('slider', { name: 'Strength' });
    const isSlider = () =>
      page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Strength');
    let presses = 0;
    await page.keyboard.press('Tab');
    presses++;
    while (!(await isSlider()) && presses < 80) {
      await page.keyboard.press('Tab');
      presses++;
    }
    expect(await isSlider(), `the slider is reached by Tab (${presses} presses)`).toBe(true);
    const outline = await slider.evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe('none');

    const value = () => page.getByTestId('coefficient').textContent();
    const start0 = await value();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    const up = await value();
    expect(Number(up)).toBeGreaterThan(Number(start0));
    await page.keyboard.press('ArrowLeft');
    expect(Number(await value())).toBeLessThan(Number(up));
    await screenshot(page, 'layout-keyboard-focus');

    // The skip link, the first stop on the page, goes straight to the slider.
    await reopen();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
      'Skip to the steering strength',
    );
    await page.keyboard.press('Enter');
    expect(await isSlider()).toBe(true);
    await page.close();
  });
});
