/**
 * The refusal workflow on the shipped organism, in Chromium: with a harmful request from the
 * organism's own set as a chat prompt, "Find the refusal direction" shows progress and marks a
 * candidate (chosen, or the best dropped one offered with a note); ablating it turns the steered
 * reply from a refusal into an answer while the baseline still refuses (judged by interp's
 * isRefusal); the link replays the ablation; the per-layer profile and the circuit graph render,
 * clicking a head gates it, and every export is a valid file. Nothing is assumed about which
 * layer or position the organism's direction is at: the test reads it from the page.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isRefusal } from '../../src/interp/behaviour';
import { exported, HAS_ORGANISM, setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';

const app = () => inject('appUrl');
const DIR = resolve(import.meta.dirname, '../../models/organism-llama');

async function organism(): Promise<{ layers: number; heads: number; harmful: string[] }> {
  const cfg = JSON.parse(await readFile(resolve(DIR, 'config.json'), 'utf8')) as Record<string, number>;
  const data = JSON.parse(await readFile(resolve(DIR, 'datasets/harmful.json'), 'utf8')) as {
    items: { instruction: string }[];
  };
  return {
    layers: cfg.num_hidden_layers ?? cfg.n_layer!,
    heads: cfg.num_attention_heads ?? cfg.n_head!,
    harmful: data.items.map((i) => i.instruction),
  };
}

const status = (page: Page, id: string) => page.getAttribute(`[data-testid=${id}]`, 'data-status');

/** Clicks Generate and waits for the baseline (and the steered side, when there is one) to end. */
async function generate(page: Page): Promise<{ baseline: string; steered: string }> {
  await page.getByRole('button', { name: 'Generate' }).click();
  return settled(page);
}

async function settled(page: Page, timeout = 120_000): Promise<{ baseline: string; steered: string }> {
  await page.waitForFunction(
    () => {
      const st = (id: string) => document.querySelector(`[data-testid=${id}]`)?.getAttribute('data-status');
      const done = (s: string | null | undefined) => s !== 'running';
      return done(st('output-panel')) && done(st('steered-panel'));
    },
    undefined,
    { timeout },
  );
  for (const id of ['output-panel', 'steered-panel'])
    if ((await status(page, id)) === 'error') throw new Error(`${id} failed`);
  return {
    baseline: (await page.getByTestId('output-text').textContent()) ?? '',
    steered:
      (await page
        .getByTestId('steered-text')
        .textContent()
        .catch(() => '')) ?? '',
  };
}

/** Performs `act` and waits for the steered run it starts (status leaves 'done', then returns). */
async function steeredAfter(
  page: Page,
  act: () => Promise<void>,
): Promise<{ baseline: string; steered: string }> {
  await page.evaluate(() => {
    const w = window as unknown as { __ran: boolean };
    w.__ran = false;
    new MutationObserver(() => {
      if (document.querySelector('[data-testid=steered-panel]')?.getAttribute('data-status') === 'running')
        w.__ran = true;
    }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-status'] });
  });
  await act();
  await page.waitForFunction(() => (window as unknown as { __ran: boolean }).__ran, undefined, {
    timeout: 60_000,
  });
  return settled(page);
}

async function checkExports(page: Page, name: string, csvHeader: string): Promise<void> {
  const svg = (await exported(page, name, 'SVG')).toString('utf8');
  expect(svg.startsWith('<?xml')).toBe(true);
  expect(svg).toContain('<svg');
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  const png = await exported(page, name, 'PNG');
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const csv = (await exported(page, name, 'CSV')).toString('utf8').split('\r\n');
  expect(csv[0]).toBe(csvHeader);
  expect(csv.length).toBeGreaterThan(2);
}

describe.skipIf(!HAS_ORGANISM)('the refusal circuit view', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('finds the direction, ablates it, replays it from the link, profiles, traces and exports', async () => {
    const { layers, heads, harmful } = await organism();
    const page = await browser.newPage({ viewport: { width: 1366, height: 1100 }, acceptDownloads: true });
    const watch = watchPage(page);
    await page.goto(`${app()}/`);
    await waitForModel(page, /organism-llama/);
    await setField(page, 'Max tokens', '12');
    await setField(page, 'Temperature', '0');
    await page.getByLabel('Chat template', { exact: true }).check();

    // A harmful request from the organism's own held-out third that the model refuses.
    let prompt = '';
    let baseline = '';
    for (const candidate of harmful.filter((_, i) => i % 3 === 2).slice(0, 6)) {
      await page.getByRole('textbox', { name: 'Prompt' }).fill(candidate);
      baseline = (await generate(page)).baseline;
      if (isRefusal(baseline)) {
        prompt = candidate;
        break;
      }
    }
    expect(prompt, 'the organism refuses none of its held-out harmful requests').not.toBe('');

    await page.getByRole('tab', { name: 'Refusal circuit' }).click();
    const started = Date.now();
    await page.getByTestId('find-refusal').click();
    // Progress is visible while it runs: the bar, then a scoring count.
    await page.getByTestId('refusal-progress').waitFor({ timeout: 10_000 });
    await page.getByText(/Scoring candidates/).waitFor({ timeout: 60_000 });
    await screenshot(page, 'refusal-progress');
    await page.getByTestId('refusal-summary').waitFor({ timeout: 120_000 });
    const findMs = Date.now() - started;
    console.log(`refusal workflow in Chromium (WebAssembly): ${findMs} ms`);
    const summary = (await page.getByTestId('refusal-summary').textContent()) ?? '';
    expect(summary).toMatch(/Chosen: layer \d+, position -\d+|No candidate passed the filters/);
    // The chart marks the candidate on each of its three panels.
    for (const m of ['bypass', 'induce', 'kl']) expect(await page.getByTestId(`chosen-${m}`).count()).toBe(1);
    const label = (await page.getByTestId('chosen-bypass').textContent()) ?? '';
    expect(label).toMatch(/^L\d+ p-\d+$/);
    await screenshot(page, 'refusal-found');

    // Ablating the direction: the steered reply is no longer a refusal; the baseline still is.
    const ablated = await steeredAfter(page, () =>
      page.getByRole('button', { name: 'Ablate the direction' }).click(),
    );
    expect(ablated.baseline).toBe(baseline);
    expect(isRefusal(ablated.baseline)).toBe(true);
    expect(ablated.steered.length).toBeGreaterThan(0);
    expect(isRefusal(ablated.steered), `still refuses: ${ablated.steered}`).toBe(false);
    expect(
      await page.getByRole('button', { name: 'Ablate the direction' }).getAttribute('aria-pressed'),
    ).toBe('true');
    await screenshot(page, 'refusal-ablated');

    // The profile: one point per residual point, for the prompt and both references.
    await page.getByTestId('profile-chart').waitFor({ timeout: 60_000 });
    for (const s of ['prompt', 'harmful', 'harmless'])
      expect(await page.locator(`[data-testid=profile-${s}] > circle`).count()).toBe(layers + 1);
    await checkExports(page, 'refusal-profile', 'point,prompt,harmful_mean,harmless_mean');
    await checkExports(page, 'refusal-candidates', 'position,layer,bypass,induce,kl,dropped,marked');

    // The link replays the ablation: a fresh page shows it applied and steers the same way.
    await page.waitForFunction(() => location.hash.length > 1);
    const link = page.url();
    const other = await browser.newPage({ viewport: { width: 1366, height: 1100 } });
    const otherWatch = watchPage(other);
    await other.goto(link);
    await waitForModel(other, /organism-llama/);
    await other.getByTestId('refusal-view').waitFor();
    expect(
      await other.getByRole('button', { name: 'Ablate the direction' }).getAttribute('aria-pressed'),
    ).toBe('true');
    const replay = await generate(other);
    expect(replay.baseline).toBe(baseline);
    expect(replay.steered).toBe(ablated.steered);
    await other.getByTestId('profile-chart').waitFor({ timeout: 60_000 });
    await screenshot(other, 'refusal-replayed');
    expect(otherWatch.errors).toEqual([]);
    await other.close();

    // Adding the direction and rotating towards it are the other classic interventions: each
    // replaces the ablation in the experiment and runs the steered side without error.
    for (const op of ['Add it', 'Rotate'] as const) {
      const out = await steeredAfter(page, () => page.getByRole('button', { name: op, exact: true }).click());
      expect(out.baseline).toBe(baseline);
      expect(await page.getByRole('button', { name: op, exact: true }).getAttribute('aria-pressed')).toBe(
        'true',
      );
      expect(
        await page.getByRole('button', { name: 'Ablate the direction' }).getAttribute('aria-pressed'),
      ).toBe('false');
    }
    await screenshot(page, 'refusal-rotated');
    await page.getByRole('button', { name: 'None', exact: true }).click();

    // The circuit: one node per head, gates or amplifiers named, and a click gates a head.
    await page.getByTestId('trace-circuit').click();
    await page.getByTestId('circuit-graph').waitFor({ timeout: 240_000 });
    expect(await page.locator('[data-testid=circuit-graph] [data-head]').count()).toBe(layers * heads);
    const named = await page
      .locator('[data-testid=circuit-graph] [data-head]')
      .evaluateAll((ns) => ns.map((n) => n.getAttribute('data-role')).filter((r) => r !== 'plain'));
    expect(named.length).toBeGreaterThan(0);
    const head = page.locator('[data-testid=circuit-graph] [data-head="L0.H0"]');
    await steeredAfter(page, () => head.click());
    expect(await head.getAttribute('aria-pressed')).toBe('true');
    expect(await head.locator('.gate-mark').textContent()).toBe('×0');
    await screenshot(page, 'refusal-circuit');
    await checkExports(
      page,
      'refusal-circuit',
      'head,layer,index,role,direct,necessity,sufficiency,indirect,causal',
    );
    expect(watch.errors).toEqual([]);
    await page.close();
  });
});
