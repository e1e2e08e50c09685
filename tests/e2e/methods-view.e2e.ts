/**
 * The Methods view, used as a person would: open the tab, read the layer activity and activation
 * sparsity charts of the prompt, move τ and ε, export the tables; each chart's numbers are checked
 * against interp's layerActivity and sparsityProfile run in Node on the same model folder, and
 * the link opens on the same tab, thresholds and charts.
 */
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Model } from '../../src/engine';
import { encodeInput, layerActivity, sparsityProfile } from '../../src/interp';
import { waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { experimentOf, loadE2eModel } from './support/reference';

const app = () => inject('appUrl');
const PROMPT = 'The little robot walked into the quiet town';

async function bars(page: Page, chart: string): Promise<{ values: number[]; marked: boolean[] }> {
  const rects = page.locator(`[data-testid=${chart}] rect.bar`);
  return {
    values: (await rects.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-value')))).map(Number),
    marked: await rects.evaluateAll((rs) => rs.map((r) => r.classList.contains('marked'))),
  };
}

async function measured(page: Page): Promise<void> {
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid=methods-view]')?.getAttribute('data-status');
    return s === 'done' || s === 'error';
  });
  expect(await page.getByTestId('methods-view').getAttribute('data-status')).toBe('done');
}

describe('the Methods view', () => {
  let browser: Browser;
  let model: Model;
  let means: number[];
  let shares: Float32Array;
  let epsilons: readonly number[];
  let count: number;
  beforeAll(async () => {
    browser = await launch();
    model = await loadE2eModel(inject('e2eModels'), TEXT_MODEL);
    const tokens = encodeInput(model, PROMPT);
    const a = await layerActivity(model, tokens);
    const T = a.positions;
    means = Array.from({ length: a.layers }, (_, l) => {
      const row = a.activity.subarray(l * T, (l + 1) * T);
      return row.reduce((s, x) => s + x, 0) / T;
    });
    const s = await sparsityProfile(model, [tokens], [0.01, 0.1]);
    shares = s.share;
    epsilons = s.epsilons;
    count = s.count;
  });
  afterAll(async () => {
    await browser?.close();
    model?.dispose();
  });

  it('charts layer activity and sparsity as interp measures them, exports them, and replays from the link', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
    await waitForModel(page, new RegExp(TEXT_MODEL));
    await page.getByRole('textbox', { name: 'Prompt' }).fill(PROMPT);
    await page.getByRole('tab', { name: 'Methods' }).click();
    await measured(page);

    const activity = await bars(page, 'activity-chart');
    expect(activity.values).toHaveLength(4);
    activity.values.forEach((v, l) => expect(v).toBeCloseTo(means[l]!, 4));

    // τ between the layers' means: the layers below it are named idle and drawn marked.
    const sorted = [...means].sort((a, b) => a - b);
    const tau = Number(((sorted[1]! + sorted[2]!) / 2).toFixed(3));
    await page.getByLabel('Idle below τ').fill(String(tau));
    const idle = means.flatMap((m, l) => (m < tau ? [l] : []));
    expect(idle.length).toBe(2);
    await expect
      .poll(() => page.getByTestId('idle-layers').textContent())
      .toContain(`Idle layers: ${idle.join(', ')}`);
    expect((await bars(page, 'activity-chart')).marked).toEqual(means.map((m) => m < tau));

    // ε: the share of |mlp_post| ≤ ε per layer, as sparsityProfile counts it (a borderline
    // activation may fall on the other side on another backend: one count of slack).
    await page.getByLabel('Threshold ε').selectOption('0.1');
    const e = epsilons.indexOf(0.1);
    await expect.poll(async () => (await bars(page, 'sparsity-chart')).values[0]).toBeCloseTo(shares[e]!, 1);
    const sparsity = await bars(page, 'sparsity-chart');
    sparsity.values.forEach((v, l) =>
      expect(Math.abs(v - shares[l * epsilons.length + e]!)).toBeLessThanOrEqual(1 / count + 1e-6),
    );
    expect(sparsity.values.some((v) => v > 0 && v < 1)).toBe(true);

    // Each chart's table downloads as CSV.
    const download = page.waitForEvent('download');
    await page
      .getByRole('group', { name: 'Export layer-activity' })
      .getByRole('button', { name: 'CSV' })
      .click();
    const csv = await readFile((await (await download).path())!, 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(new RegExp(`^layer,mean_change,idle_tokens_below_${tau},t0:`));
    expect(lines).toHaveLength(5);
    expect(Number(lines[1]!.split(',')[1])).toBeCloseTo(means[0]!, 4);
    const svg = page.waitForEvent('download');
    await page
      .getByRole('group', { name: 'Export activation-sparsity' })
      .getByRole('button', { name: 'SVG' })
      .click();
    expect(await readFile((await (await svg).path())!, 'utf8')).toContain('<svg');
    await screenshot(page, 'methods-view');

    // The link carries the tab and both thresholds.
    let exp = await experimentOf(page.url());
    for (let i = 0; i < 20 && exp.view.methods.epsilon !== 0.1; i++) {
      await page.waitForTimeout(100);
      exp = await experimentOf(page.url());
    }
    expect(exp.view).toMatchObject({ tab: 'methods', methods: { tau, epsilon: 0.1 } });
    const again = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await again.goto(page.url());
    await waitForModel(again, new RegExp(TEXT_MODEL));
    await measured(again);
    expect(await again.getByRole('tab', { selected: true }).textContent()).toBe('Methods');
    expect(await again.getByLabel('Idle below τ').inputValue()).toBe(String(tau));
    expect(await bars(again, 'activity-chart')).toEqual(await bars(page, 'activity-chart'));
    expect(await bars(again, 'sparsity-chart')).toEqual(sparsity);
    await again.close();
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
