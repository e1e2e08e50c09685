/**
 * Shipped models in Cache Storage: each file is cached under its content version
 * (`…/config.json?v=<hash>` from /models/versions.json). A returning visitor gets the cached copy;
 * after the organism is rebuilt (a new hash) the page downloads it again instead of reading the
 * old build, and the old build's entries are deleted.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HAS_ORGANISM, waitForModel } from './support/app';
import { launch, watchPage } from './support/browser';

const app = () => inject('appUrl');
const MODEL = 'organism-llama';

/** The URLs cached for the model, relative to the app. */
async function cachedFiles(page: Page): Promise<string[]> {
  return page.evaluate(async (model) => {
    const names = await caches.keys();
    const urls: string[] = [];
    for (const n of names) {
      const cache = await caches.open(n);
      for (const r of await cache.keys()) if (r.url.includes(`/models/${model}/`)) urls.push(r.url);
    }
    return urls.map((u) => u.slice(u.indexOf('/models/'))).sort();
  }, MODEL);
}

describe.skipIf(!HAS_ORGANISM)('shipped models in the cache', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it('caches the organism under its version, reuses it, and replaces it when the model is rebuilt', async () => {
    const context = await browser.newContext();
    const downloads: string[] = [];
    context.on('response', (r) => {
      if (r.status() === 200 && r.url().includes(`/models/${MODEL}/`)) downloads.push(r.url());
    });
    const page = await context.newPage();
    const watch = watchPage(page);
    const versions = (await (await fetch(`${app()}/models/versions.json`)).json()) as Record<string, string>;
    const version = versions[MODEL]!;
    expect(version).toMatch(/^[0-9a-f]{16}$/);

    // First visit: every file comes from the server, with the version, and is cached so.
    await page.goto(`${app()}/`);
    await waitForModel(page, new RegExp(MODEL));
    const weights = `/models/${MODEL}/model.safetensors?v=${version}`;
    expect(downloads.some((u) => u.endsWith(weights))).toBe(true);
    const first = await cachedFiles(page);
    expect(first).toContain(weights);
    for (const u of first) expect(u).toMatch(new RegExp(`\\?v=${version}$`));

    // Entries of an older build and from before versions existed, as a returning visitor has.
    await page.evaluate(
      async ({ model }) => {
        const cache = await caches.open('rudder-models-v1');
        await cache.put(`/models/${model}/model.safetensors?v=0000000000000000`, new Response('old build'));
        await cache.put(`/models/${model}/config.json`, new Response('{"model_type":"old"}'));
      },
      { model: MODEL },
    );

    // Second visit, same build: nothing is downloaded and the stale entries are pruned.
    downloads.length = 0;
    await page.reload();
    await waitForModel(page, new RegExp(MODEL));
    expect(downloads.filter((u) => u.includes('.safetensors'))).toEqual([]);
    const onlyVersion = async (v: string) => (await cachedFiles(page)).every((u) => u.endsWith(`?v=${v}`));
    await expect.poll(() => onlyVersion(version)).toBe(true);
    await expect.poll(() => cachedFiles(page)).toEqual(expect.arrayContaining(first));

    // The organism is rebuilt: the server announces a new version; the page must fetch it anew.
    const rebuilt = 'fedcba9876543210';
    await context.route('**/models/versions.json', (route) =>
      route.fulfill({ json: { ...versions, [MODEL]: rebuilt } }),
    );
    downloads.length = 0;
    await page.reload();
    await waitForModel(page, new RegExp(MODEL));
    expect(downloads.some((u) => u.endsWith(`/models/${MODEL}/model.safetensors?v=${rebuilt}`))).toBe(true);
    await expect.poll(() => onlyVersion(rebuilt)).toBe(true);
    // Files the views read after the load (the tuned lens) arrive a little later.
    await expect
      .poll(() => cachedFiles(page))
      .toEqual(expect.arrayContaining(first.map((u) => u.replace(`?v=${version}`, `?v=${rebuilt}`))));
    expect(watch.errors).toEqual([]);
    await context.close();
  });
});
