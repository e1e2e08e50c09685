/** Helpers for driving the app page. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Whether the shipped default organism is in the repo (another issue builds it). */
export const HAS_ORGANISM = existsSync(
  resolve(import.meta.dirname, '../../../models/organism-llama/config.json'),
);

export async function waitForModel(page: Page, id?: string | RegExp, timeout = 120_000): Promise<string> {
  // With an id, wait for that model: a load started just after the page's default model finished
  // may not show its loading state yet, and the default's info would be read instead.
  const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const wanted = id === undefined ? null : typeof id === 'string' ? escaped(id) : id.source;
  await page.waitForFunction(
    (pattern) => {
      const info = document.querySelector('[data-testid=model-info]');
      const loading = document.querySelector('[data-testid=loading]');
      const err = document.querySelector('[data-testid=load-error]');
      const isWanted =
        pattern === null || new RegExp(pattern).test(info?.getAttribute('data-model-id') ?? '');
      return (info && !loading && isWanted) || err;
    },
    wanted,
    { timeout },
  );
  const err = await page
    .locator('[data-testid=load-error]')
    .textContent({ timeout: 100 })
    .catch(() => null);
  if (err) throw new Error(`the page shows a load error: ${err}`);
  const got = (await page.getAttribute('[data-testid=model-info]', 'data-model-id')) ?? '';
  if (id !== undefined) expect(got).toMatch(id);
  return got;
}

/** Waits for a load started from the picker to end in an error; returns its code and text. */
export async function waitForLoadError(
  page: Page,
  timeout = 60_000,
): Promise<{ code: string; text: string }> {
  const box = page.locator('[data-testid=load-error]');
  await box.waitFor({ timeout });
  await page.locator('[data-testid=loading]').waitFor({ state: 'detached', timeout });
  return { code: (await box.getAttribute('data-code')) ?? '', text: (await box.textContent()) ?? '' };
}

export async function setField(page: Page, label: string, value: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(value);
}

/** Clicks Generate and records every text the output shows while it runs. */
export async function generateAndWatch(
  page: Page,
  timeout = 120_000,
): Promise<{ seen: string[]; final: string }> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: string[]; __obs?: MutationObserver };
    w.__seen = [];
    w.__obs?.disconnect();
    w.__obs = new MutationObserver(() => {
      const t = document.querySelector('[data-testid=output-text]')?.textContent;
      if (t && w.__seen[w.__seen.length - 1] !== t) w.__seen.push(t);
    });
    w.__obs.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await page.getByRole('button', { name: 'Generate' }).click();
  await page.waitForFunction(
    () => {
      const s = document.querySelector('[data-testid=output-panel]')?.getAttribute('data-status');
      return s === 'done' || s === 'error';
    },
    undefined,
    { timeout },
  );
  const status = await page.getAttribute('[data-testid=output-panel]', 'data-status');
  if (status === 'error')
    throw new Error(`generation failed: ${await page.locator('[data-testid=generate-error]').textContent()}`);
  const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
  const final = (await page.locator('[data-testid=output-text]').textContent()) ?? '';
  return { seen, final };
}

/** Clicks an export button under a chart (the group "Export <scope>") and returns the file's bytes. */
export async function exported(page: Page, scope: string, button: 'SVG' | 'PNG' | 'CSV'): Promise<Buffer> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByRole('group', { name: `Export ${scope}` })
      .getByRole('button', { name: button })
      .click(),
  ]);
  return readFile((await download.path())!);
}
