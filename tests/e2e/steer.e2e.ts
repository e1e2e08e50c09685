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

  it('runs the steered side as soon as the slider is let go, not after the drag delay', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
    await waitForModel(page);
    await setField(page, 'Max tokens', '8');
    await setField(page, 'Temperature', '0');
    await pastePairs(page);
    await waitForVector(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    // From the release (key up, pointer up) to the steered side starting, timed in the page.
    await page.evaluate(() => {
      const w = window as unknown as { released: number[]; started: number[] };
      w.released = [];
      w.started = [];
      const mark = () => w.released.push(performance.now());
      window.addEventListener('keyup', mark, { capture: true });
      window.addEventListener('pointerup', mark, { capture: true });
      const panel = document.querySelector('[data-testid=steered-panel]')!;
      new MutationObserver(() => {
        if (panel.getAttribute('data-status') === 'running') w.started.push(performance.now());
      }).observe(panel, { attributes: true, attributeFilter: ['data-status'] });
    });
    const lag = async () => {
      await page.waitForFunction(() => {
        const w = window as unknown as { released: number[]; started: number[] };
        return w.started.some((t) => t >= w.released.at(-1)!);
      });
      const gap = await page.evaluate(() => {
        const w = window as unknown as { released: number[]; started: number[] };
        const up = w.released.at(-1)!;
        return w.started.find((t) => t >= up)! - up;
      });
      await waitForBoth(page);
      return gap;
    };
    await slide(page, 'ArrowRight');
    // The drag delay is 60 ms; a release that waited for it would start no sooner.
    expect(await lag()).toBeLessThan(40);
    // A drag, with no pause between the last move and the release (a real mouse's timing
    // depends on this machine's load): the pointer goes down, the value moves, the pointer is let go.
    await page.getByRole('slider', { name: 'Strength' }).evaluate((el) => {
      const input = el as HTMLInputElement;
      input.dispatchEvent(new PointerEvent('pointerdown', { bubbles: true }));
      const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      set.call(input, String(Number(input.max) * 0.8));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      window.dispatchEvent(new PointerEvent('pointerup'));
    });
    expect(await lag()).toBeLessThan(40);
    await page.close();
  });

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
