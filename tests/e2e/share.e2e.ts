/**
 * Sharing: the hash always holds the experiment; Copy link gives a link that a fresh browser
 * context opens to the same experiment and the same text (vector rebuilt from its recipe);
 * Export / Import move it through a file; and every bad link (malformed, truncated, tampered,
 * newer, too large) or bad file ends in a message while the page opens on the default experiment
 * and stays usable. Markup in a link is shown as text, never run.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setField, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';
import { pastePairs, slide, waitForBoth, waitForVector } from './support/steer';

const app = () => inject('appUrl');
const MODEL = `/e2e-models/${TEXT_MODEL}`;

async function pairsOf(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid=pairs-editor] li input')
    .evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value));
}

describe('sharing an experiment', () => {
  let browser: Browser;
  let link = '';
  let texts = { baseline: '', steered: '' };
  let pairs: string[] = [];
  let exported = '';

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('copies a link that holds the whole experiment', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    await page.getByRole('textbox', { name: 'Prompt' }).fill('The little robot');
    await setField(page, 'Max tokens', '14');
    await setField(page, 'Seed', '11');
    await pastePairs(page);
    await waitForVector(page);
    await page.getByRole('button', { name: 'Generate' }).click();
    await waitForBoth(page);
    await slide(page, 'End');
    await slide(page, 'ArrowLeft');
    texts = await waitForBoth(page);
    expect(texts.steered).not.toBe(texts.baseline);
    pairs = await pairsOf(page);

    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByTestId('share-note').filter({ hasText: 'Link copied' }).waitFor();
    link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).toBe(page.url());
    expect(new URL(link).hash).toMatch(/^#e1\./);
    await screenshot(page, 'share-copied');

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const file = join(tmpdir(), `rudder-export-${Date.now()}.json`);
    await (await download).saveAs(file);
    exported = file;
    const json = JSON.parse(await readFile(file, 'utf8'));
    expect(json.version).toBe(1);
    expect(json.prompt.text).toBe('The little robot');
    expect(json.steering.pairs).toHaveLength(4);
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('opens the link in a fresh context to the same experiment and the same text', async () => {
    expect(link).not.toBe('');
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    const watch = watchPage(page);
    await page.goto(link);
    await waitForModel(page, new RegExp(TEXT_MODEL));
    expect(await page.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe('The little robot');
    expect(await pairsOf(page)).toEqual(pairs);
    const again = await waitForBoth(page);
    expect(again).toEqual(texts);
    await screenshot(page, 'share-opened');
    expect(watch.errors).toEqual([]);
    await context.close();
  });

  it('imports an exported file to the same experiment and text', async () => {
    const page = await browser.newPage();
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    await page.getByLabel('Import experiment').setInputFiles(exported);
    await page.getByTestId('share-note').filter({ hasText: 'Imported' }).waitFor();
    expect(await pairsOf(page)).toEqual(pairs);
    expect(await waitForBoth(page)).toEqual(texts);

    // A file that is not an experiment leaves the page as it was.
    const bad = join(tmpdir(), `rudder-bad-${Date.now()}.json`);
    await writeFile(bad, JSON.stringify({ version: 1, generation: { maxTokens: 'many' } }));
    await page.getByLabel('Import experiment').setInputFiles(bad);
    const err = page.getByTestId('experiment-error');
    await err.waitFor();
    expect(await err.getAttribute('data-code')).toBe('experiment-invalid');
    expect(await err.textContent()).toContain('unchanged');
    expect(await pairsOf(page)).toEqual(pairs);
    await page.close();
  });

  const bad: [string, (hash: string) => string, string][] = [
    ['malformed', () => 'not-an-experiment', 'experiment-malformed'],
    ['truncated', (h) => h.slice(0, -12), 'experiment-truncated'],
    [
      'tampered',
      (h) => h.slice(0, -20) + (h.at(-20) === 'Q' ? 'R' : 'Q') + h.slice(-19),
      'experiment-damaged',
    ],
    ['newer', () => 'e2.4.abcd', 'experiment-newer'],
    ['too large', () => `e1.1.${'A'.repeat(40_000)}`, 'experiment-too-large'],
  ];
  for (const [name, make, code] of bad) {
    it(`opens a ${name} link on the default experiment with a message, still usable`, async () => {
      const hash = new URL(link).hash.slice(1);
      const page = await browser.newPage();
      const watch = watchPage(page);
      await page.goto(`${app()}/?model=${MODEL}#${make(hash)}`);
      const err = page.getByTestId('experiment-error');
      await err.waitFor();
      expect(await err.getAttribute('data-code')).toBe(code);
      expect(await err.textContent()).toContain('default experiment');
      await waitForModel(page);
      expect(await page.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe('Once upon a time');
      expect(await pairsOf(page)).toEqual([]);
      await setField(page, 'Max tokens', '4');
      await page.getByRole('button', { name: 'Generate' }).click();
      await page.waitForFunction(
        () => document.querySelector('[data-testid=output-panel]')?.getAttribute('data-status') === 'done',
      );
      await screenshot(page, `share-bad-${name.replace(' ', '-')}`);
      expect(watch.errors).toEqual([]);
      await page.close();
    });
  }

  it('shows markup from a link as text and never runs it', async () => {
    const page = await browser.newPage();
    // Make a link in the page itself with a prompt and a pair that look like HTML.
    await page.goto(`${app()}/?model=${MODEL}`);
    await waitForModel(page);
    const evil = '<img src=x onerror="window.__pwned=1">';
    await page.getByRole('textbox', { name: 'Prompt' }).fill(evil);
    await pastePairs(page, `${evil} | <script>window.__pwned=2</script>`);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByTestId('share-note').waitFor();
    const url = page.url();
    await page.close();

    const fresh = await browser.newPage();
    await fresh.goto(url);
    await waitForModel(fresh);
    await waitForBoth(fresh);
    expect(await fresh.getByRole('textbox', { name: 'Prompt' }).inputValue()).toBe(evil);
    expect(await fresh.getByTestId('output-panel').textContent()).toContain(evil);
    expect(await fresh.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await fresh.locator('img[src=x]').count()).toBe(0);
    await fresh.close();
  });
});
