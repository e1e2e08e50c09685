/**
 * The Function vectors view, used as a person would on the shipped Llama organism: pick a task,
 * watch the job's progress, read the AIE grid (top k marked), the held-out accuracies and the FV's
 * readout, and export them; every figure is interp's own buildFunctionVector and
 * evaluateFunctionVector run in Node on the same organism. "Steer with this FV" then makes the
 * steered side of a zero-shot query do the task where the baseline does not, the link reopens the
 * same view and steering, the corruption setting (shuffled labels) gives interp's shuffled heads and
 * travels in the link, and Stop ends a run, keeping the last finished figures.
 */
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dirSource, loadModel, type Model } from '../../src/engine/node';
import {
  buildFunctionVector,
  evaluateFunctionVector,
  type FunctionVectorFigures,
  type FunctionVectorResult,
  iclPrompt,
  iclTasks,
  readOrganismData,
} from '../../src/interp';
import { useBackend } from '../support/backend';
import { exported, HAS_ORGANISM, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { experimentOf } from './support/reference';
import { waitForBoth } from './support/steer';

const app = () => inject('appUrl');
const ORGANISM = resolve(import.meta.dirname, '../../models/organism-llama');
const TASK = 'past_tense';

async function finished(page: Page, timeout = 180_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.querySelector('[data-testid=fv-view]')?.getAttribute('data-status');
      return s === 'done' || s === 'error';
    },
    undefined,
    { timeout },
  );
  expect(await page.getByTestId('fv-view').getAttribute('data-status')).toBe('done');
}

async function cells(page: Page): Promise<{ values: number[]; chosen: string[] }> {
  const all = page.locator('[data-testid=aie-cell]');
  return {
    values: (await all.evaluateAll((cs) => cs.map((c) => c.getAttribute('data-value')))).map(Number),
    chosen: await all.evaluateAll((cs) =>
      cs
        .filter((c) => c.getAttribute('data-chosen') === 'true')
        .map((c) => `${c.getAttribute('data-layer')}.${c.getAttribute('data-head')}`),
    ),
  };
}

const accuracy = async (page: Page, id: string) =>
  Number(await page.getByTestId(`accuracy-${id}`).getAttribute('data-value'));

describe.skipIf(!HAS_ORGANISM)('the Function vectors view', () => {
  let browser: Browser;
  let model: Model;
  let fv: FunctionVectorResult;
  let figures: FunctionVectorFigures;
  let shuffled: FunctionVectorResult;
  let heldOut: { query: string; answer: string }[];
  beforeAll(async () => {
    browser = await launch();
    await useBackend('wasm');
    model = await loadModel(dirSource(ORGANISM));
    const data = await readOrganismData(dirSource(ORGANISM));
    const task = iclTasks(data).get(TASK)!;
    fv = await buildFunctionVector(model, task.build, data.fewShotFormat, { corruption: 'zero-shot' });
    figures = await evaluateFunctionVector(model, fv, task.heldOut, { format: data.fewShotFormat });
    shuffled = await buildFunctionVector(model, task.build, data.fewShotFormat, { corruption: 'shuffled' });
    heldOut = task.heldOut;
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    model?.dispose();
  });

  it('shows the heads, the accuracies and the readout as interp computes them, steers with the FV, and replays from the link', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 1000 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await page.getByRole('tab', { name: 'Function vectors' }).click();
    await page.getByLabel('Task').selectOption(TASK);
    await page.getByTestId('fv-progress').waitFor({ timeout: 60_000 });
    await finished(page);

    // The default corruption: the bare zero-shot queries, named in the outcome.
    expect(await page.getByLabel('Heads patched into').inputValue()).toBe('zero-shot');
    expect(await page.locator('.fv-figures').getAttribute('data-corruption')).toBe('zero-shot');
    expect(await page.getByTestId('fv-summary').textContent()).toContain(
      'patching into the zero-shot queries',
    );

    // The grid: interp's AIE per head (the page runs the same wasm kernels), the top k marked.
    const grid = await cells(page);
    expect(grid.values).toHaveLength(fv.aie.length);
    grid.values.forEach((v, i) => expect(v).toBeCloseTo(fv.aie[i]!, 4));
    expect(grid.chosen.sort()).toEqual(fv.heads.map((h) => `${h.layer}.${h.head}`).sort());
    // The accuracies and the readout.
    expect(await accuracy(page, 'few-shot')).toBe(figures.fewShot);
    expect(await accuracy(page, 'zero-shot')).toBe(figures.zeroShot);
    expect(await accuracy(page, 'zero-shot-fv')).toBe(figures.zeroShotFv);
    expect(figures.zeroShotFv).toBeGreaterThan(figures.zeroShot);
    const readout = await page.locator('[data-testid=fv-readout] li code').allTextContents();
    expect(readout.map((t) => JSON.parse(t))).toEqual(figures.readout);

    // Exports: the grid's table and picture, the accuracies' table.
    const csv = (await exported(page, 'fv-aie', 'CSV')).toString('utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('layer,head,aie,in_fv');
    expect(csv).toHaveLength(1 + fv.aie.length);
    expect(Number(csv[1]!.split(',')[2])).toBeCloseTo(fv.aie[0]!, 4);
    expect((await exported(page, 'fv-aie', 'SVG')).toString('utf8')).toContain('<svg');
    expect((await exported(page, 'fv-accuracy', 'PNG')).subarray(1, 4).toString()).toBe('PNG');
    const items = (await exported(page, 'fv-accuracy', 'CSV')).toString('utf8');
    expect(items).toContain(`${iclPrompt([], heldOut[0]!.query)},${heldOut[0]!.answer}`);
    await screenshot(page, 'function-vectors');

    // Steer with this FV: a held-out query the FV turns right; the baseline does not do the task.
    await page.getByTestId('fv-steer').click();
    const { baseline, steered } = await waitForBoth(page);
    const prompt = await page.getByRole('textbox', { name: 'Prompt' }).inputValue();
    const item = heldOut.find((it) => iclPrompt([], it.query) === prompt)!;
    expect(item).toBeDefined();
    const starts = (text: string) => new RegExp(`^\\s*${item.answer}\\b`).test(text);
    expect(starts(baseline)).toBe(false);
    expect(starts(steered)).toBe(true);
    await screenshot(page, 'function-vectors-steered');
    // The steering controls name where the vector came from: the FV, not a file.
    expect(await page.getByTestId('imported-vector').textContent()).toContain('(function vector,');

    // The link: the view's task, the FV as the steering vector at the prompt's last position.
    let exp = await experimentOf(page.url());
    for (let i = 0; i < 20 && !exp.steering.vector; i++) {
      await page.waitForTimeout(100);
      exp = await experimentOf(page.url());
    }
    expect(exp.view).toMatchObject({ tab: 'fv', fv: { task: TASK } });
    expect(exp.steering).toMatchObject({
      operator: 'add',
      coefficient: 1,
      layers: [fv.layer],
      positions: { kind: 'prompt-last' },
      vector: { from: 'inline', hook: 'resid_post', width: model.spec.dModel },
    });
    const again = await browser.newPage({ viewport: { width: 1366, height: 1000 } });
    const watchAgain = watchPage(again);
    await again.goto(page.url());
    await waitForModel(again, /organism-llama/);
    expect(await again.getByRole('tab', { selected: true }).textContent()).toBe('Function vectors');
    expect(await again.getByLabel('Task').inputValue()).toBe(TASK);
    await finished(again);
    expect(await cells(again)).toEqual(await cells(page));
    expect(await accuracy(again, 'zero-shot-fv')).toBe(figures.zeroShotFv);
    await again.getByRole('button', { name: 'Generate' }).click();
    expect((await waitForBoth(again)).steered).toBe(steered);
    expect(watchAgain.errors).toEqual([]);
    await again.close();

    // The corruption setting: shuffled labels give interp's shuffled AIE, and the link keeps it.
    await page.getByLabel('Heads patched into').selectOption('shuffled');
    await page.waitForFunction(
      () => document.querySelector('.fv-figures')?.getAttribute('data-corruption') === 'shuffled',
      undefined,
      { timeout: 180_000 },
    );
    await finished(page);
    const shuffledGrid = await cells(page);
    shuffledGrid.values.forEach((v, i) => expect(v).toBeCloseTo(shuffled.aie[i]!, 4));
    expect(shuffledGrid.chosen.sort()).toEqual(shuffled.heads.map((h) => `${h.layer}.${h.head}`).sort());
    expect(shuffledGrid.values).not.toEqual(grid.values);
    expect(await page.getByTestId('fv-summary').textContent()).toContain(
      'patching into the shuffled-label prompts',
    );
    await expect
      .poll(async () => (await experimentOf(page.url())).view.fv)
      .toEqual({ task: TASK, corruption: 'shuffled' });

    // Stop: clicked the moment a run on another task shows its Stop button (a run takes about a
    // second, so waiting for its progress first races its end). The run ends where it got to: the
    // figures stay the last finished run's, marked as such, and nothing failed.
    await page.evaluate(() => {
      const view = document.querySelector('[data-testid=fv-view]')!;
      const stop = () =>
        [...view.querySelectorAll('button')].find((b) => b.textContent === 'Stop') as
          | HTMLButtonElement
          | undefined;
      new MutationObserver((_, observer) => {
        const button = stop();
        if (!button) return;
        observer.disconnect();
        button.click();
      }).observe(view, { childList: true, subtree: true });
    });
    await page.getByLabel('Task').selectOption('antonym');
    await page.getByTestId('fv-stopped').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('fv-view').getAttribute('data-status')).toBe('done');
    expect(await page.locator('.fv-figures').getAttribute('data-task')).toBe(TASK);
    expect(await page.getByTestId('fv-stopped').textContent()).toContain('past tense');
    expect(await cells(page)).toEqual(shuffledGrid);
    expect(await page.locator('[data-testid=fv-view] [role=alert]').count()).toBe(0);
    // Run again answers the new task.
    await page.getByRole('button', { name: 'Run again' }).click();
    await page.waitForFunction(
      () => document.querySelector('.fv-figures')?.getAttribute('data-task') === 'antonym',
      undefined,
      { timeout: 180_000 },
    );
    await finished(page);
    expect(await page.getByTestId('fv-stopped').count()).toBe(0);
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
