/**
 * A gated Hub repo and the access token field: without a token the load is refused with a message
 * that says where to enter one, and the previous model keeps working; with the token typed in the
 * model panel the repo loads (the stand-in answers only `Authorization: Bearer <token>`). The
 * token stays in this tab's sessionStorage: it is in neither the address, localStorage, the
 * copied link nor the exported experiment. Someone opening a link to the gated repo is refused
 * until they enter their own token.
 */
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decode } from '../../src/experiment/url';
import { type HubServer, startHubServer } from '../support/hub-server';
import { generateAndWatch, setField, waitForLoadError, waitForModel } from './support/app';
import { launch, screenshot, watchPage } from './support/browser';
import { TEXT_MODEL } from './support/prepare-models';

const OPEN = `rudder-test/${TEXT_MODEL}`;
const GATED = 'rudder-test/gated-tiny';
const TOKEN = 'hf_e2eGatedSecret0123456789';

describe('a gated Hub repo and the access token field', () => {
  let browser: Browser;
  let hub: HubServer;
  beforeAll(async () => {
    const folder = join(inject('e2eModels'), TEXT_MODEL);
    hub = await startHubServer({ repos: { [OPEN]: folder, [GATED]: folder }, gated: { [GATED]: TOKEN } });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.close();
  });

  it('refuses without the token (the previous model stays), loads with it, and keeps it in this tab only', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const page = await context.newPage();
    const watch = watchPage(page);
    const app = `${inject('appUrl')}/?hub=${encodeURIComponent(hub.url)}`;
    await page.goto(`${app}&model=${OPEN}`);
    await waitForModel(page, `hub:${OPEN}@main`);

    // No token: refused, saying where the token goes; the open model is still current and generates.
    await page.getByLabel('Hub repo').fill(GATED);
    await page.getByLabel('Hub repo').press('Enter');
    const err = await waitForLoadError(page);
    console.log(`[hub-token] without a token: (${err.code}) ${err.text}`);
    expect(err.code).toBe('source');
    expect(err.text).toMatch(/HTTP 401.*Access to model rudder-test\/gated-tiny is restricted/s);
    expect(err.text).toContain('in the "Access token" field under "Hub repo"');
    expect(err.text).toContain(`The previous model (hub:${OPEN}@main) is still loaded`);
    expect(await page.getAttribute('[data-testid=model-info]', 'data-model-id')).toBe(`hub:${OPEN}@main`);
    await setField(page, 'Max tokens', '4');
    expect((await generateAndWatch(page)).final.length).toBeGreaterThan(0);
    await screenshot(page, 'hub-token-refused');

    // The token typed in the panel: the same repo loads.
    const field = page.getByLabel('Access token');
    expect(await field.getAttribute('type')).toBe('password');
    expect(await page.getByTestId('token-hint').textContent()).toMatch(/stays in this tab only/);
    await field.fill(TOKEN);
    await field.press('Enter');
    await waitForModel(page, `hub:${GATED}@main`);
    await screenshot(page, 'hub-token-loaded');
    const gatedGets = hub.requests.filter((r) => r.method === 'GET' && r.path.startsWith(`/${GATED}/`));
    expect(gatedGets.map((r) => r.path)).toContain(`/${GATED}/resolve/main/model.safetensors`);

    // In sessionStorage, and nowhere that outlives the tab or leaves it.
    const stored = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.entries(localStorage).flat(),
      href: location.href,
    }));
    expect(stored.session).toContain(TOKEN);
    expect(stored.local.join('\n')).not.toContain(TOKEN);
    expect(stored.href).not.toContain(TOKEN);

    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByTestId('share-note').filter({ hasText: 'Link copied' }).waitFor();
    const link = await page.evaluate(() => navigator.clipboard.readText());
    expect(link).not.toContain(TOKEN);
    const shared = await decode(new URL(link).hash);
    expect(shared?.model).toEqual({ kind: 'hub', repo: GATED });
    expect(JSON.stringify(shared)).not.toContain(TOKEN);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    const file = join(tmpdir(), `rudder-token-export-${Date.now()}.json`);
    await (await download).saveAs(file);
    const exported = await readFile(file, 'utf8');
    expect(exported).toContain(GATED);
    expect(exported).not.toContain(TOKEN);

    // A reload of this tab keeps the token; another tab starts without it.
    await page.reload();
    await waitForModel(page);
    expect(await page.getByLabel('Access token').inputValue()).toBe(TOKEN);
    expect(watch.errors).toEqual([]);
    await context.close();

    // Someone else opens a link to the gated model: refused, until they enter their token and
    // press Enter in its field, which retries the repo the link named.
    const fresh = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const other = await fresh.newPage();
    const otherWatch = watchPage(other);
    await other.goto(`${app}&model=${GATED}`);
    const refused = await waitForLoadError(other);
    expect(refused.text).toContain('in the "Access token" field under "Hub repo"');
    const otherField = other.getByLabel('Access token');
    expect(await otherField.inputValue()).toBe('');
    await otherField.fill(TOKEN);
    await otherField.press('Enter');
    await waitForModel(other, `hub:${GATED}@main`);
    expect(otherWatch.errors).toEqual([]);
    await fresh.close();
  });

  it('fits the token field and its note on a 390×844 phone screen', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${inject('appUrl')}/?hub=${encodeURIComponent(hub.url)}&model=${OPEN}`);
    await waitForModel(page, `hub:${OPEN}@main`);
    const field = page.getByLabel('Access token');
    await field.scrollIntoViewIfNeeded();
    for (const el of [field, page.getByTestId('token-hint')]) {
      const box = await el.boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await screenshot(page, 'hub-token-phone');
    await context.close();
  });
});
