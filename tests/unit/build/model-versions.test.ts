/**
 * Shipped models are fetched as `…/file?v=<content hash>` (vite.config.ts computes the hashes,
 * urlSource adds them and prunes the cache): a retrained organism must not come out of Cache
 * Storage under its old URL, and the old build's entries must go.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_NAME, urlSource } from '../../../src/engine/weights/url-source';
import { folderMiddleware, ISOLATION_HEADERS, modelVersions, modelVersionsFile } from '../../../vite.config';
import { MemoryCacheStorage } from '../../support/memory-cache-storage';
import { type TempFolder, tempFolder } from '../../support/model-folder';

let models: TempFolder;

beforeAll(async () => {
  models = await tempFolder({
    'organism-a/config.json': '{"model_type":"llama"}',
    'organism-a/model.safetensors': 'weights-1',
    'organism-a/datasets/harmful.json': '["x"]',
    'organism-b/config.json': '{"model_type":"gpt2"}',
    'organism-b/model.safetensors': 'other',
    'not-built/README.md': 'no config.json here',
  });
});
afterAll(() => models.remove());

/** A real HTTP server with the app's middlewares in front of `models.dir`, logging each URL. */
async function serve(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const versions = modelVersionsFile('/models/', models.dir);
  const handlers: ((req: never, res: never, next: () => void) => unknown)[] = [];
  (versions.configureServer as (s: unknown) => void)({
    middlewares: { use: (h: never) => handlers.push(h) },
  });
  handlers.push(folderMiddleware('/models/', models.dir) as never);
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const run = (i: number): void => {
      const h = handlers[i];
      if (!h) {
        res.writeHead(404).end();
        return;
      }
      void h(req as never, res as never, () => run(i + 1));
    };
    run(0);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('model versions', () => {
  it('gives every built model folder a content hash and leaves out folders without config.json', async () => {
    const v = await modelVersions(models.dir);
    expect(Object.keys(v)).toEqual(['organism-a', 'organism-b']);
    for (const h of Object.values(v)) expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(await modelVersions(models.dir)).toEqual(v);
    expect(await modelVersions(join(models.dir, 'missing'))).toEqual({});
  });

  it('changes a model’s hash when any of its files changes, even at the same size, and no other', async () => {
    const before = await modelVersions(models.dir);
    await writeFile(join(models.dir, 'organism-a/model.safetensors'), 'weights-2');
    const retrained = await modelVersions(models.dir);
    expect(retrained['organism-a']).not.toBe(before['organism-a']);
    expect(retrained['organism-b']).toBe(before['organism-b']);
    await writeFile(join(models.dir, 'organism-a/datasets/harmful.json'), '["y"]');
    expect((await modelVersions(models.dir))['organism-a']).not.toBe(retrained['organism-a']);
    await mkdir(join(models.dir, 'organism-b/extra'), { recursive: true });
    await writeFile(join(models.dir, 'organism-b/extra/new.json'), '{}');
    expect((await modelVersions(models.dir))['organism-b']).not.toBe(before['organism-b']);
  });

  it('serves versions.json as computed now, with the isolation headers and no caching', async () => {
    const server = await serve();
    const res = await fetch(`${server.url}/models/versions.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-embedder-policy')).toBe(
      ISOLATION_HEADERS['Cross-Origin-Embedder-Policy'],
    );
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.json()).toEqual(await modelVersions(models.dir));
    await writeFile(join(models.dir, 'organism-b/model.safetensors'), 'retrained');
    const again = (await (await fetch(`${server.url}/models/versions.json`)).json()) as Record<
      string,
      string
    >;
    expect(again['organism-b']).toBe((await modelVersions(models.dir))['organism-b']);
    // The model files themselves are still served, query and all.
    const file = await fetch(`${server.url}/models/organism-b/model.safetensors?v=${again['organism-b']}`);
    expect(await file.text()).toBe('retrained');
    await server.close();
  });
});

describe('urlSource with a version', () => {
  it('downloads a rebuilt model afresh and prunes the old build’s cached files', async () => {
    const server = await serve();
    const storage = new MemoryCacheStorage();
    const base = `${server.url}/models/organism-a`;
    const other = `${server.url}/models/organism-b`;
    const source = (b: string, version?: string) =>
      urlSource(b, { cacheStorage: storage.asCacheStorage(), ...(version ? { version } : {}) });
    const entries = () => [...(storage.buckets.get(DEFAULT_CACHE_NAME)?.entries.keys() ?? [])].sort();

    await writeFile(join(models.dir, 'organism-a/model.safetensors'), 'build one');
    await source(base).readText('model.safetensors'); // cached before versions existed
    await source(other, 'b1').readText('model.safetensors'); // another model: must survive
    expect(await source(base, 'v1').readText('model.safetensors')).toBe('build one');
    expect(server.requests).toContain('GET /models/organism-a/model.safetensors?v=v1');

    // Retrained: same URL path, new content, new version.
    await writeFile(join(models.dir, 'organism-a/model.safetensors'), 'build two');
    const n = server.requests.length;
    const fresh = source(base, 'v2');
    expect(await fresh.readText('model.safetensors')).toBe('build two');
    expect(server.requests.slice(n)).toEqual(['GET /models/organism-a/model.safetensors?v=v2']);
    await expect
      .poll(entries)
      .toEqual([`${base}/model.safetensors?v=v2`, `${other}/model.safetensors?v=b1`].sort());

    // The same version again is a cache hit: no request.
    const m = server.requests.length;
    expect(await source(base, 'v2').readText('model.safetensors')).toBe('build two');
    expect(server.requests.length).toBe(m);
    await server.close();
  });
});
