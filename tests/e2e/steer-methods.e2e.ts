/**
 * The steering loop's further recipes and operators, used as a person would (the controls'
 * labels, the strength slider at the top of its range, greedy decoding), each checked against
 * interp's own functions run in Node on the same model folder: ActAdd (front-aligned), add at
 * the prompt only with the norm kept and the direction ablated first, layer-weighted steering and
 * GUARD-IT. The page's address carries each, and opening it replays the same steered text.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Model } from '../../src/engine';
import { type Experiment, steeringStrength } from '../../src/experiment';
import {
  buildActAdd,
  buildContrastVector,
  buildPlane,
  type CompileContext,
  type Intervention,
  type SteeringVector,
} from '../../src/interp';
import { setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { experimentOf, greedyText, loadE2eModel } from './support/reference';
import { PAIRS, pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const FIRST = PAIRS.split('\n').map((l) => l.split(' | ')) as [string, string][];
/** text-tiny has 4 layers: with none chosen the loop steers the middle one. */
const LAYER = 2;

describe('steering recipes and operators against interp', () => {
  let browser: Browser;
  let model: Model;
  let contrast: SteeringVector;
  beforeAll(async () => {
    browser = await launch();
    model = await loadE2eModel(inject('e2eModels'), TEXT_MODEL);
    contrast = await buildContrastVector(model, {
      pairs: FIRST.map(([positive, negative]) => ({ positive, negative })),
      hook: 'resid_pre',
      layers: [LAYER],
      position: { kind: 'mean' },
      method: 'mean',
    });
  });
  afterAll(async () => {
    await browser?.close();
    model?.dispose();
  });

  async function open(): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    const watch = watchPage(page);
    await page.goto(`${app()}/?model=/e2e-models/${TEXT_MODEL}`);
    await waitForModel(page, new RegExp(TEXT_MODEL));
    await page.getByRole('textbox', { name: 'Prompt' }).fill('The little robot');
    await setField(page, 'Max tokens', '12');
    await setField(page, 'Temperature', '0');
    await pastePairs(page);
    await waitForVector(page);
    return { page, errors: watch.errors };
  }

  /** The experiment the page's address holds once it has caught up with the slider (written 250 ms after an edit). */
  async function linkOf(page: Page): Promise<Experiment> {
    const shown = (await page.getByTestId('coefficient').textContent()) ?? '';
    for (let i = 0; i < 50; i++) {
      const exp = await experimentOf(page.url());
      if (steeringStrength(exp.steering).toFixed(2) === shown) return exp;
      await page.waitForTimeout(100);
    }
    throw new Error(`the page's address never held the strength ${shown}`);
  }

  /** The page's steered text now, the same run's replay from its address, and interp's text. */
  async function compare(
    page: Page,
    interventions: (exp: Experiment) => Intervention[],
    context: Omit<CompileContext, 'model'>,
  ) {
    const shown = await waitForBoth(page);
    expect(shown.steered).not.toBe(shown.baseline);
    const exp = await linkOf(page);
    expect(shown.steered).toBe(await greedyText(model, exp, interventions(exp), context));
    const replay = await browser.newPage();
    await replay.goto(page.url());
    await waitForModel(replay, new RegExp(TEXT_MODEL));
    expect((await waitForBoth(replay)).steered).toBe(shown.steered);
    await replay.close();
    return { shown, exp };
  }

  it('builds an ActAdd vector from the first pair and adds it front-aligned', async () => {
    const { page, errors } = await open();
    await page.getByLabel('Recipe').selectOption({ label: 'ActAdd (first pair, per position)' });
    await page.waitForFunction(() => {
      const s = document.querySelector('[data-testid=vector-status]');
      return /ActAdd/.test(s?.textContent ?? '') || s?.getAttribute('data-status') === 'error';
    });
    await waitForVector(page);
    expect(await page.getByLabel('Add at').inputValue()).toBe('front');
    // The page's vector is interp's: its largest row's norm, as the status shows it.
    const v = await buildActAdd(model, { positive: FIRST[0]![0], negative: FIRST[0]![1], layer: LAYER });
    expect(v.rows).toBeGreaterThan(1);
    const rowNorms = Array.from({ length: v.rows }, (_, r) =>
      Math.hypot(...v.layers[LAYER]!.subarray(r * v.width, (r + 1) * v.width)),
    );
    expect(await page.getByTestId('vector-status').textContent()).toContain(
      `norm ${Math.max(...rowNorms).toFixed(2)}`,
    );
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    await slide(page, 'End');
    const { exp } = await compare(
      page,
      (e) => [
        {
          kind: 'add',
          vector: 'v',
          coefficient: e.steering.coefficient,
          layers: [LAYER],
          positions: { kind: 'front' },
        },
      ],
      { vectors: { v } },
    );
    expect(exp.steering).toMatchObject({ recipe: 'actadd', positions: { kind: 'front' } });
    // The ablate-first box has no meaning for ActAdd's per-position rows.
    expect(await page.getByLabel('Ablate the direction first').isDisabled()).toBe(true);
    await screenshot(page, 'steer-actadd');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('adds at the prompt only, keeps each norm and ablates the direction first', async () => {
    const { page, errors } = await open();
    await page.getByLabel('Add at').selectOption({ label: 'the prompt only' });
    await page.getByLabel("Keep each position's norm").check();
    await page.getByLabel('Ablate the direction first').check();
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    await slide(page, 'End');
    const { exp } = await compare(
      page,
      (e) => [
        {
          kind: 'add',
          vector: 'v',
          coefficient: e.steering.coefficient,
          layers: [LAYER],
          positions: { kind: 'prompt' },
          normalize: true,
          ablateFirst: true,
        },
      ],
      { vectors: { v: contrast } },
    );
    expect(exp.steering).toMatchObject({ positions: { kind: 'prompt' }, normalize: true, ablateFirst: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('steers with layer weights at the chosen layers', async () => {
    const { page, errors } = await open();
    await page.getByRole('button', { name: /^Layer 1\b/ }).click();
    await page.getByRole('button', { name: /^Layer 3\b/ }).click({ modifiers: ['Shift'] });
    await page.getByLabel('Operator').selectOption({ label: 'Layer-weighted' });
    await waitForVector(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    await slide(page, 'End');
    const v = await buildContrastVector(model, {
      pairs: FIRST.map(([positive, negative]) => ({ positive, negative })),
      hook: 'resid_pre',
      layers: [1, 3],
      position: { kind: 'mean' },
      method: 'mean',
    });
    await compare(
      page,
      (e) => [
        {
          kind: 'layer-weighted',
          vector: 'v',
          strength: e.steering.weighted,
          weights: [
            { layer: 1, weight: 1 },
            { layer: 3, weight: 1 },
          ],
          positions: { kind: 'all' },
        },
      ],
      { vectors: { v } },
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  it('redirects the block output away from the vector (GUARD-IT)', async () => {
    const { page, errors } = await open();
    await page.getByLabel('Operator').selectOption({ label: 'Redirect, norm kept' });
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    await slide(page, 'End');
    const { exp } = await compare(
      page,
      (e) => [{ kind: 'guard', vector: 'v', layer: LAYER, coefficient: e.steering.redirect }],
      { vectors: { v: contrast } },
    );
    expect(exp.steering.operator).toBe('guard');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('rotates only at the discriminative layers the strip marks', async () => {
    const { page, errors } = await open();
    await page.getByLabel('Operator').selectOption({ label: 'Rotate in plane' });
    const strip = () =>
      page
        .locator('[data-testid=layer-strip] button')
        .evaluateAll((bs) => bs.map((b) => b.getAttribute('data-rotated')).join(','));
    // Every norm output of every layer until the toggle.
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid=layer-strip] button')].every(
        (b) => b.getAttribute('data-rotated') === '2',
      ),
    );
    await page.getByLabel('Discriminative layers only').check();
    const plane = await buildPlane(model, {
      positive: FIRST.map((p) => p[0]),
      negative: FIRST.map((p) => p[1]),
      discriminative: true,
    });
    const want = [0, 1, 2, 3].map((l) => plane.modules.filter((m) => m.layer === l).length).join(',');
    await expect.poll(strip, { timeout: 60_000 }).toBe(want);
    expect(plane.modules.length).toBeGreaterThan(0);
    expect(plane.modules.length).toBeLessThan(8);
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    const slider = page.getByRole('slider', { name: 'Angle' });
    await slider.focus();
    await slider.press('End');
    const { exp } = await compare(
      page,
      (e) => [{ kind: 'rotate', plane: 'p', mode: 'selective', angle: e.steering.angle }],
      { planes: { p: plane } },
    );
    expect(exp.steering).toMatchObject({ operator: 'rotate', discriminative: true });
    await screenshot(page, 'steer-discriminative');
    expect(errors).toEqual([]);
    await page.close();
  });
});
