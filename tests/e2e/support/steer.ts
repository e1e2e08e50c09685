/** Helpers for the steering loop on the app page. */
import type { Page } from 'playwright-core';

export const PAIRS = [
  'I love this, it is wonderful | I hate this, it is awful',
  'What a happy, bright day | What a sad, gloomy day',
  'She smiled with joy | She wept with grief',
  'The best gift ever | The worst loss ever',
].join('\n');

export async function pastePairs(page: Page, text = PAIRS): Promise<void> {
  await page.getByRole('button', { name: 'Paste lines' }).click();
  await page.getByLabel('Pairs as lines').fill(text);
  await page.getByRole('button', { name: 'Use these pairs' }).click();
}

export async function waitForVector(page: Page, timeout = 120_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.querySelector('[data-testid=vector-status]')?.getAttribute('data-status');
      return s === 'ready' || s === 'error';
    },
    undefined,
    { timeout },
  );
  const status = await page.getAttribute('[data-testid=vector-status]', 'data-status');
  if (status === 'error')
    throw new Error(`building the vector failed: ${await page.getByTestId('vector-status').textContent()}`);
}

/** Waits until both sides are done (the steered one at the strength the slider shows). */
export async function waitForBoth(
  page: Page,
  timeout = 120_000,
): Promise<{ baseline: string; steered: string }> {
  await page.waitForFunction(
    () => {
      const st = (id: string) => document.querySelector(`[data-testid=${id}]`)?.getAttribute('data-status');
      const coef = document.querySelector('[data-testid=coefficient]')?.textContent ?? '';
      const strength = document
        .querySelector('[data-testid=steered-panel] h2')
        ?.getAttribute('data-strength');
      const done = (s: string | null | undefined) => s === 'done' || s === 'error';
      return done(st('output-panel')) && done(st('steered-panel')) && strength === coef;
    },
    undefined,
    { timeout },
  );
  for (const id of ['output-panel', 'steered-panel']) {
    if ((await page.getAttribute(`[data-testid=${id}]`, 'data-status')) === 'error')
      throw new Error(
        `${id} failed: ${await page.locator(`[data-testid=${id}] [role=alert]`).textContent()}`,
      );
  }
  return {
    baseline: (await page.getByTestId('output-text').textContent()) ?? '',
    steered: (await page.getByTestId('steered-text').textContent()) ?? '',
  };
}

/** Moves the strength slider with the keyboard (End: the top of its range). */
export async function slide(page: Page, key: 'End' | 'Home' | 'ArrowRight' | 'ArrowLeft'): Promise<string> {
  const slider = page.getByRole('slider', { name: 'Strength' });
  await slider.focus();
  await slider.press(key);
  return (await page.getByTestId('coefficient').textContent()) ?? '';
}

/**
 * Moves the strength slider to `value` as a drag that ends there would: the page's own change
 * handler sees the new value (set through the element's native setter, as the browser does) and
 * the release runs the steered side. Returns what the strength readout then shows.
 */
export async function setStrength(page: Page, value: number): Promise<string> {
  const slider = page.getByRole('slider', { name: 'Strength' });
  await slider.evaluate((el, v) => {
    const input = el as HTMLInputElement;
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, String(v));
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, value);
  return (await page.getByTestId('coefficient').textContent()) ?? '';
}
