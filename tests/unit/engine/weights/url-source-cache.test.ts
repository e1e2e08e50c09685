import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { writeSafetensors } from '../../../../src/engine/weights/safetensors-write';
import type { Progress } from '../../../../src/engine/weights/source';
import { DEFAULT_CACHE_NAME, hubSource } from '../../../../src/engine/weights/url-source';
import { type HubServer, startHubServer } from '../../../support/hub-server';
import { MemoryCacheStorage } from '../../../support/memory-cache-storage';
import { sharded, type TempFolder, tempFolder, tensor } from '../../../support/model-folder';

const weights = writeSafetensors({ w: tensor([32, 32], (i) => i / 10) });
let single: TempFolder;
let shards: TempFolder;

beforeAll(async () => {
  single = await tempFolder({ 'config.json': '{"model_type":"llama"}', 'model.safetensors': weights });
  shards = await tempFolder(sharded([{ a: tensor([4]) }, { b: tensor([2], () => -1) }]));
});
afterAll(async () => {
  await Promise.all([single.remove(), shards.remove()]);
});

async function serve(opts: Partial<Parameters<typeof startHubServer>[0]> = {}): Promise<HubServer> {
  return startHubServer({ repos: { 'rudder/tiny': single.dir, 'rudder/sharded': shards.dir }, ...opts });
}

describe('urlSource with Cache Storage', () => {
  it('serves a second read from the cache without a request, still emitting progress', async () => {
    const hub = await serve();
    const storage = new MemoryCacheStorage();
    const src = () => hubSource('rudder/tiny', { endpoint: hub.url, cacheStorage: storage.asCacheStorage() });
    await src().readBytes('model.safetensors');
    const before = hub.requests.length;
    const events: Progress[] = [];
    const again = await src().readBytes('model.safetensors', (p) => events.push(p));
    expect(hub.requests.length).toBe(before);
    expect(Buffer.from(again).equals(Buffer.from(weights))).toBe(true);
    expect(events.at(-1)).toEqual({
      file: 'model.safetensors',
      loaded: weights.length,
      total: weights.length,
    });
    expect([...storage.buckets.keys()]).toEqual([DEFAULT_CACHE_NAME]);
    await hub.close();
  });

  it('never caches a truncated download', async () => {
    const hub = await serve({ truncate: { 'rudder/tiny/model.safetensors': 100 } });
    const storage = new MemoryCacheStorage();
    const src = hubSource('rudder/tiny', { endpoint: hub.url, cacheStorage: storage.asCacheStorage() });
    await expect(src.readBytes('model.safetensors')).rejects.toThrow(/100 of \d+ bytes/);
    await src.readText('config.json');
    expect([...storage.buckets.get(DEFAULT_CACHE_NAME)!.entries.keys()]).toEqual([
      `${hub.url}/rudder/tiny/resolve/main/config.json`,
    ]);
    await hub.close();
  });

  it('never caches an error response', async () => {
    const hub = await serve();
    const storage = new MemoryCacheStorage();
    const src = hubSource('rudder/tiny', { endpoint: hub.url, cacheStorage: storage.asCacheStorage() });
    await expect(src.readText('missing.json')).rejects.toThrow('HTTP 404');
    expect(storage.buckets.get(DEFAULT_CACHE_NAME)?.entries.size ?? 0).toBe(0);
    await hub.close();
  });

  it('loads single-file and sharded checkpoints offline once they were loaded online', async () => {
    const hub = await serve();
    const storage = new MemoryCacheStorage();
    const opts = { endpoint: hub.url, cacheStorage: storage.asCacheStorage() };
    await readCheckpoint(hubSource('rudder/tiny', opts));
    await readCheckpoint(hubSource('rudder/sharded', opts));
    await hub.close(); // the network is gone

    const tiny = await readCheckpoint(hubSource('rudder/tiny', opts));
    expect(tiny.info('w').shape).toEqual([32, 32]);
    const sharded = await readCheckpoint(hubSource('rudder/sharded', opts));
    expect([...sharded.read('b').data]).toEqual([-1, -1]);
  });

  it('downloads again when a cached entry is damaged', async () => {
    const hub = await serve();
    const storage = new MemoryCacheStorage();
    const src = () => hubSource('rudder/tiny', { endpoint: hub.url, cacheStorage: storage.asCacheStorage() });
    await src().readBytes('model.safetensors');
    const cache = storage.buckets.get(DEFAULT_CACHE_NAME)!;
    const url = `${hub.url}/rudder/tiny/resolve/main/model.safetensors`;
    const entry = cache.entries.get(url)!;
    cache.entries.set(url, { ...entry, body: entry.body.subarray(0, 10) }); // shorter than its content-length
    const before = hub.requests.length;
    const bytes = await src().readBytes('model.safetensors');
    expect(bytes.length).toBe(weights.length);
    expect(hub.requests.length).toBe(before + 1);
    expect(cache.entries.get(url)!.body.length).toBe(weights.length);
    await hub.close();
  });

  it('works without caching when Cache Storage refuses to open, or when caching is off', async () => {
    const hub = await serve();
    const broken = { open: () => Promise.reject(new Error('SecurityError')) } as unknown as CacheStorage;
    expect(
      await hubSource('rudder/tiny', { endpoint: hub.url, cacheStorage: broken }).readText('config.json'),
    ).toBe('{"model_type":"llama"}');
    const storage = new MemoryCacheStorage();
    const off = hubSource('rudder/tiny', {
      endpoint: hub.url,
      cacheStorage: storage.asCacheStorage(),
      cacheName: false,
    });
    await off.readText('config.json');
    expect(storage.buckets.size).toBe(0);
    await hub.close();
  });
});
