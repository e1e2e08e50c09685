/**
 * An in-memory CacheStorage with the subset of the browser API that urlSource uses (open, match,
 * put, delete, keys). Node has no Cache Storage; this lets the caching logic be tested there, while
 * the browser end-to-end tests exercise the real one.
 */
export class MemoryCacheStorage {
  readonly buckets = new Map<string, MemoryCache>();

  async open(name: string): Promise<Cache> {
    let c = this.buckets.get(name);
    if (!c) {
      c = new MemoryCache();
      this.buckets.set(name, c);
    }
    return c as unknown as Cache;
  }

  asCacheStorage(): CacheStorage {
    return this as unknown as CacheStorage;
  }
}

export class MemoryCache {
  readonly entries = new Map<string, { body: Uint8Array; headers: [string, string][]; status: number }>();

  async match(url: string): Promise<Response | undefined> {
    const e = this.entries.get(url);
    return e && new Response(e.body.slice() as BlobPart, { status: e.status, headers: e.headers });
  }

  async put(url: string, res: Response): Promise<void> {
    this.entries.set(url, {
      body: new Uint8Array(await res.arrayBuffer()),
      headers: [...res.headers],
      status: res.status,
    });
  }

  async delete(url: string): Promise<boolean> {
    return this.entries.delete(url);
  }

  async keys(): Promise<Request[]> {
    return [...this.entries.keys()].map((url) => new Request(url));
  }
}
