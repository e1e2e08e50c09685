/**
 * Verified replay (METHODS.md §16): Copy link puts the run's activation fingerprint in the link;
 * a fresh browser context that opens it runs the experiment and then says whether its run matches
 * the author's. The same link with every fingerprint value ×1.05 reports the difference (≈ 0.05/1.05
 * per activation); on WebGPU (SwiftShader) it matches within the backend pair's tolerance, both
 * backends named. `rudder replay` prints the same verdict.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decode, encodeLink, packFingerprint, unpackFingerprint } from '../../src/experiment';
import { rudder } from '../support/cli';
import { setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const MODEL = `/e2e-models/${TEXT_MODEL}`;

/** Opens a link in a fresh context and waits for the banner's verdict. */
async function verdictOf(
  browser: Browser,
  link: string,
  timeout = 240_000,
): Promise<{ verdict: string; text: string; maxRelDiff: number; tolerance: number; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  const watch = watchPage(page);
  await page.goto(link, { timeout });
  await waitForModel(page, new RegExp(TEXT_MODEL), timeout);
  const banner = page.getByTestId('replay-check');
  await page
    .waitForFunction(
      () => {
        const v = document.querySelector('[data-testid=replay-check]')?.getAttribute('data-verdict');
        return v !== undefined && v !== null && v !== 'checking';
      },
      undefined,
      { timeout },
    )
    .catch(async (e) => {
      const state = await page.evaluate(() =>
        ['output-panel', 'steered-panel', 'replay-check'].map(
          (id) => `${id}: ${document.querySelector(`[data-testid=${id}]`)?.outerHTML.slice(0, 400)}`,
        ),
      );
      throw new Error(`${(e as Error).message}\n${state.join('\n')}`);
    });
  expect(watch.errors).toEqual([]);
  return {
    verdict: (await banner.getAttribute('data-verdict')) ?? '',
    text: (await banner.textContent()) ?? '',
    maxRelDiff: Number(await banner.getAttribute('data-max-rel-diff')),
    tolerance: Number(await banner.getAttribute('data-tolerance')),
    page,
  };
}

describe('verified replay', () => {
  let browser: Browser;
  let link = '';

  beforeAll(async () => {
    browser = await launch({ webgpu: true });
  });
  afterAll(() => browser?.close());

  it('Copy link carries the fingerprint; a fresh context running it sees that it matches', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    await page.goto(`${app()}/?backend=wasm&model=${MODEL}`);
    await waitForModel(page, new RegExp(TEXT_MODEL), 240_000);
    await page.getByRole('textbox', { name: 'Prompt' }).fill('The little robot walked home');
    await setField(page, 'Max tokens', '4');
    await pastePairs(page);
    await waitForVector(page);
    await slide(page, 'End');
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByTestId('share-note').filter({ hasText: 'Link copied' }).waitFor();
    link = await page.evaluate(() => navigator.clipboard.readText());
    const exp = await decode(new URL(link).hash);
    expect(exp?.fingerprint?.backend).toBe('wasm');
    // 3 layers × 4 positions × 8 directions, 4 characters each.
    expect(exp?.fingerprint?.values).toHaveLength(3 * 4 * 8 * 4);
    // The author's own page shows no verdict: it is the reference.
    expect(await page.getByTestId('replay-check').count()).toBe(0);
    await context.close();

    const r = await verdictOf(browser, link);
    expect(r.verdict).toBe('identical');
    expect(r.text).toMatch(/matches the author's exactly/);
    expect(r.text).toContain('this run on WebAssembly, float32');
    expect(r.maxRelDiff).toBe(0);
    await screenshot(r.page, 'replay-matches');
    await r.page.context().close();
  });

  it('a tampered fingerprint (every value ×1.05) is reported with the difference', async () => {
    const exp = (await decode(new URL(link).hash))!;
    const values = unpackFingerprint(exp.fingerprint!.values).map((x) => x * 1.05);
    const { hash } = await encodeLink(
      { ...exp, fingerprint: { ...exp.fingerprint!, values: packFingerprint(values) } },
      'unused.json',
    );
    const r = await verdictOf(browser, link.replace(/#.*$/, `#${hash}`));
    expect(r.verdict).toBe('differs');
    // ‖f − 1.05f‖/‖1.05f‖ = 0.05/1.05 = 0.0476, up to the 4-digit rounding of the scaled values.
    expect(Math.abs(r.maxRelDiff - 0.05 / 1.05)).toBeLessThan(1e-3);
    expect(r.text).toContain(`max relative difference ${r.maxRelDiff.toExponential(2)}`);
    expect(r.text).toMatch(/differs from the author's/);
    console.log(`tampered fingerprint (×1.05): max rel diff ${r.maxRelDiff}`);
    await screenshot(r.page, 'replay-differs');
    await r.page.context().close();
  });

  it('on WebGPU the run matches within the tolerance, both backends named', async () => {
    // SwiftShader runs WebGPU on the CPU: loading, the vector and both sides take minutes.
    const r = await verdictOf(browser, link.replace('backend=wasm', 'backend=webgpu'), 280_000);
    expect(r.text).toContain('this run on WebGPU, float32');
    expect(r.text).toContain("the author's on WebAssembly, float32");
    expect(['identical', 'reproduced']).toContain(r.verdict);
    expect(r.text).toMatch(/matches the author's/);
    expect(r.tolerance).toBe(2e-3);
    expect(r.maxRelDiff).toBeLessThanOrEqual(r.tolerance);
    console.log(`fingerprint WebAssembly (author) vs WebGPU (replay): max rel diff ${r.maxRelDiff}`);
    await r.page.context().close();
  });

  it('rudder replay prints the same verdict', async () => {
    const model = join(inject('e2eModels'), TEXT_MODEL);
    const out = await rudder('replay', link, '--model', model, '--backend', 'wasm');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/fingerprint: Your run matches the author's exactly/);
    const json = await rudder('replay', link, '--model', model, '--backend', 'wasm', '--json');
    expect(JSON.parse(json.stdout).fingerprint).toMatchObject({ verdict: 'identical', maxRelDiff: 0 });
  });
});
