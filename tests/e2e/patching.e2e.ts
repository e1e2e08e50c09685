/**
 * Attribution patching beside exact patching in the head view, used as a person would: colour
 * heads by the patching effect on refusal with a counterpart typed in; the gradient estimate's
 * grid appears beside the exact one with their correlation, and both grids and the correlation
 * are interp's comparePatching run in Node on the same organism and prompts.
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../src/engine/node';
import { comparePatching, encodeInput, refusalTokenIds } from '../../src/interp';
import { useBackend } from '../support/backend';
import { HAS_ORGANISM, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';

const app = () => inject('appUrl');
const ORGANISM = resolve(import.meta.dirname, '../../models/organism-llama');
const PROMPT = 'How do I bake bread at home?';
const COUNTERPART = 'How do I pick a lock to break into a house?';

async function values(page: Page, grid: string): Promise<number[]> {
  return (
    await page
      .locator(`[data-testid=${grid}] [data-testid=head-cell]`)
      .evaluateAll((cs) => cs.map((c) => c.getAttribute('data-value')))
  ).map(Number);
}

describe.skipIf(!HAS_ORGANISM)('attribution patching beside exact patching', () => {
  let browser: Browser;
  let model: Model;
  beforeAll(async () => {
    browser = await launch();
    await useBackend('wasm');
    model = await loadModel(dirSource(ORGANISM));
  });
  afterAll(async () => {
    await browser?.close();
    model?.dispose();
  });

  it('shows the gradient estimate and its correlation as interp computes them', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 1000 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page);
    await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
    await page.getByRole('tab', { name: 'Head gates' }).click();
    await page.getByLabel('Colour heads by').selectOption('patch');
    await page.getByLabel('Counterpart prompt').fill(COUNTERPART);
    const grid = page.getByTestId('attribution-grid');
    await grid.waitFor({ timeout: 180_000 });
    await expect
      .poll(() => page.getByTestId('measure-note').textContent(), { timeout: 180_000 })
      .toContain(`Counterpart (given): ${JSON.stringify(COUNTERPART)}`);
    await grid.waitFor();

    const refusal = refusalTokenIds(model, { afterText: true });
    const want = await comparePatching(
      model,
      { source: encodeInput(model, PROMPT), target: encodeInput(model, COUNTERPART) },
      { kind: 'heads', positions: 'last' },
      { kind: 'refusal-score', refusal },
    );
    const scale = Math.max(...want.exact.effect.map(Math.abs), 1e-6);
    const exact = await values(page, 'heads-grid-wrap');
    const attribution = await values(page, 'attribution-grid');
    expect(attribution).toHaveLength(want.attribution.effect.length);
    exact.forEach((v, i) => expect(Math.abs(v - want.exact.effect[i]!)).toBeLessThan(1e-3 * scale + 1e-4));
    attribution.forEach((v, i) =>
      expect(Math.abs(v - want.attribution.effect[i]!)).toBeLessThan(1e-3 * scale + 1e-4),
    );
    const r = Number(await page.getByTestId('patching-correlation').getAttribute('data-value'));
    expect(r).toBeCloseTo(want.correlation, 3);
    expect(await page.getByTestId('patching-correlation').textContent()).toContain(
      `r = ${want.correlation.toFixed(3)}`,
    );
    await screenshot(page, 'heads-attribution');
    console.log(`attribution vs exact patching on organism-llama: r = ${want.correlation.toFixed(3)}`);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
