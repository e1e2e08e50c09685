/**
 * Files under a base URL, fetched with streaming progress and kept in the browser's Cache
 * Storage so that a second visit loads offline. Browser-safe; also runs in Node (which has
 * fetch but no `caches`, so nothing is cached there).
 */
import { CancelledError, SourceError, TooLargeError } from '../errors';
import {
  checkFileName,
  decodeText,
  errorText,
  type ModelSource,
  type OnProgress,
  readStream,
  throwIfAborted,
} from './source';

export const DEFAULT_CACHE_NAME = 'rudder-models-v1';

export interface UrlSourceOptions {
  /** Cache Storage bucket; `false` turns caching off. Default `rudder-models-v1`. */
  readonly cacheName?: string | false;
  /** Defaults to `globalThis.caches` where it exists (browsers, secure contexts only). */
  readonly cacheStorage?: CacheStorage;
  /** Extra request headers, e.g. `{ Authorization: 'Bearer hf_...' }` for a gated repo. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The source's id; defaults to the base URL. */
  readonly id?: string;
  /** Added to HTTP 401/403 messages: how to get access (the Hub source says what the Hub needs). */
  readonly accessHint?: string;
  /**
   * The content version of the files under the base URL (e.g. a hash the server computed). Each
   * file is requested as `…/file?v=version`, so a rebuilt model never comes out of the cache
   * entry of an older build, and cached files of other versions under this base are deleted.
   */
  readonly version?: string;
}

/** Files at `${baseUrl}/${file}`; `baseUrl` may be relative to the page (`/models/gpt2-tiny`). */
export function urlSource(baseUrl: string, opts: UrlSourceOptions = {}): ModelSource {
  const base = baseUrl.replace(/\/+$/, '');
  const query = opts.version ? `?v=${encodeURIComponent(opts.version)}` : '';
  const urlOf = (file: string) => {
    checkFileName(file);
    return `${base}/${file.split('/').map(encodeURIComponent).join('/')}${query}`;
  };
  const storage = opts.cacheName === false ? undefined : (opts.cacheStorage ?? globalThis.caches);
  const cacheName = opts.cacheName || DEFAULT_CACHE_NAME;
  const init: RequestInit = opts.headers ? { headers: { ...opts.headers } } : {};
  const known = new Map<string, Promise<boolean>>();

  // Cache Storage can be present but unusable (private windows, opaque origins): then no cache.
  let cachePromise: Promise<Cache | undefined> | undefined;
  const openCache = () => {
    if (!cachePromise) {
      cachePromise = storage ? storage.open(cacheName).catch(() => undefined) : Promise.resolve(undefined);
      if (opts.version)
        void cachePromise.then((cache) => cache && pruneOtherVersions(cache, base, opts.version!));
    }
    return cachePromise;
  };

  const request = async (file: string, url: string, method: string, signal?: AbortSignal) => {
    throwIfAborted(signal);
    try {
      return await fetch(url, { ...init, method, signal: signal ?? null });
    } catch (e) {
      throwIfAborted(signal);
      throw new SourceError(
        file,
        `could not reach ${url} (${errorText(e)}). Check the network connection and the address; a server on another origin must allow cross-origin requests (CORS)`,
      );
    }
  };

  const fromCache = async (
    file: string,
    url: string,
    onProgress?: OnProgress,
    signal?: AbortSignal,
    maxBytes?: number,
  ) => {
    const cache = await openCache();
    const hit = await cache?.match(url).catch(() => undefined);
    if (!cache || !hit?.body) return undefined;
    try {
      return await readStream(
        hit.body,
        file,
        contentLength(hit),
        onProgress,
        signal,
        `the cached copy of ${url}`,
        maxBytes,
      );
    } catch (e) {
      if (e instanceof CancelledError || e instanceof TooLargeError) throw e;
      await cache.delete(url).catch(() => false); // a damaged entry: drop it and download again
      return undefined;
    }
  };

  const readBytes = async (
    file: string,
    onProgress?: OnProgress,
    signal?: AbortSignal,
    maxBytes?: number,
  ) => {
    const url = urlOf(file);
    const cached = await fromCache(file, url, onProgress, signal, maxBytes);
    if (cached) return cached;
    const res = await request(file, url, 'GET', signal);
    if (!res.ok) {
      await res.body?.cancel().catch(() => {});
      throw httpError(file, url, res, opts.accessHint);
    }
    const total = contentLength(res);
    // No body (an empty file, in some fetch implementations) reads as no bytes.
    const bytes = res.body
      ? await readStream(res.body, file, total, onProgress, signal, url, maxBytes)
      : new Uint8Array(0);
    if (res.status === 200) await store(file, url, bytes, res.headers.get('content-type'));
    known.set(file, Promise.resolve(true));
    return bytes;
  };

  // Only whole, successful downloads reach here: readStream throws on a short body.
  const store = async (file: string, url: string, bytes: Uint8Array, type: string | null) => {
    const cache = await openCache();
    if (!cache) return;
    const headers: Record<string, string> = { 'content-length': String(bytes.length) };
    if (type) headers['content-type'] = type;
    try {
      await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { headers }));
    } catch (e) {
      // Quota exceeded and the like: the model still loads, it just will not load offline.
      console.warn(`Rudder: could not cache ${file} for offline use (${errorText(e)})`);
    }
  };

  const probe = async (file: string, signal?: AbortSignal): Promise<boolean> => {
    const url = urlOf(file);
    const cache = await openCache();
    if (await cache?.match(url).catch(() => undefined)) return true;
    let res = await request(file, url, 'HEAD', signal);
    if (res.status === 405 || res.status === 501) {
      // A server without HEAD: start a GET and drop the body after the status line.
      res = await request(file, url, 'GET', signal);
      await res.body?.cancel().catch(() => {});
    }
    if (res.ok) return true;
    if (res.status === 404 || res.status === 410) return false;
    throw httpError(file, url, res, opts.accessHint);
  };

  return {
    id: opts.id ?? base,
    readBytes,
    readText: async (file, signal, maxBytes) =>
      decodeText(await readBytes(file, undefined, signal, maxBytes)),
    has: (file, signal) => {
      let p = known.get(file);
      if (!p) {
        p = probe(file, signal);
        known.set(file, p);
        p.catch(() => known.delete(file));
      }
      return p;
    },
  };
}

/**
 * Deletes cached files under `base` whose `?v=` is not `version` (older builds, or entries cached
 * before versions existed). Runs beside the load: it never touches the current version's files.
 */
export async function pruneOtherVersions(cache: Cache, base: string, version: string): Promise<number> {
  let removed = 0;
  try {
    // Cache keys are absolute; a base relative to the page is resolved the same way fetch did.
    const prefix = `${new URL(base, globalThis.location?.href).href}/`;
    for (const req of await cache.keys()) {
      const url = new URL(req.url);
      if (!`${url.origin}${url.pathname}`.startsWith(prefix) || url.searchParams.get('v') === version)
        continue;
      if (await cache.delete(req.url)) removed++;
    }
  } catch {
    // A cache that cannot be listed keeps its old entries; they are never read again.
  }
  return removed;
}

/**
 * The announced body size, or undefined when it is unknown or counts compressed bytes (the
 * stream yields decompressed ones, so it could not be compared).
 */
function contentLength(res: Response): number | undefined {
  const enc = res.headers.get('content-encoding');
  if (enc && enc !== 'identity') return undefined;
  const n = Number(res.headers.get('content-length') ?? Number.NaN);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function httpError(file: string, url: string, res: Response, accessHint?: string): SourceError {
  const s = res.status;
  // The Hub explains itself in headers (e.g. "Entry not found", "Repository not found").
  const detail = res.headers.get('x-error-message');
  const at = `HTTP ${s}${res.statusText ? ` ${res.statusText}` : ''} from ${url}${detail ? ` ("${detail}")` : ''}`;
  let what: string;
  if (s === 404 || s === 410) {
    what = 'the file does not exist there: check the repository, the revision and the file name';
  } else if (s === 401 || s === 403) {
    what = `access was refused: the repository or file is private or gated, or does not exist${accessHint ? `. ${accessHint}` : ''}`;
  } else if (s === 429) {
    what = 'too many requests: wait a minute and try again';
  } else if (s >= 500) {
    what = 'the server failed: try again later';
  } else {
    what = 'the server did not return the file';
  }
  return new SourceError(file, `${at}: ${what}`);
}

export interface HubSourceOptions extends Omit<UrlSourceOptions, 'id' | 'accessHint'> {
  /** Branch, tag or commit. Default `main`. */
  readonly revision?: string;
  /** Default `https://huggingface.co`; tests point it at a local server. */
  readonly endpoint?: string;
  /** A Hub access token (`hf_...`) for gated or private repos, sent as `Authorization: Bearer`. */
  readonly token?: string;
  /**
   * How a person gives a token where this source is used (the page's field, the CLI's HF_TOKEN),
   * said in 401/403 messages when no token was sent. Default: "pass an access token".
   */
  readonly tokenHint?: string;
}

const REPO_PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;

/** A Hugging Face Hub model repo: `{endpoint}/{repo}/resolve/{revision}/{file}`. */
export function hubSource(repo: string, opts: HubSourceOptions = {}): ModelSource {
  const {
    revision = 'main',
    endpoint = 'https://huggingface.co',
    token,
    tokenHint = 'pass an access token',
    ...rest
  } = opts;
  const parts = repo.split('/');
  const valid =
    parts.length === 2 &&
    parts.every((p) => REPO_PART.test(p) && !p.includes('--') && !p.includes('..')) &&
    repo.length <= 96;
  if (!valid) {
    throw new SourceError(
      repo || '(empty repo id)',
      'is not a Hugging Face repo id: expected "owner/name" using letters, digits, "-", "_" and "." (e.g. "openai-community/gpt2")',
    );
  }
  if (revision.length === 0 || revision.includes('..')) {
    throw new SourceError(repo, `revision "${revision}" is not a branch, tag or commit name`);
  }
  const base = `${endpoint.replace(/\/+$/, '')}/${repo}/resolve/${encodeURIComponent(revision)}`;
  const headers = token ? { ...rest.headers, Authorization: `Bearer ${token}` } : rest.headers;
  return urlSource(base, {
    ...rest,
    ...(headers ? { headers } : {}),
    id: `hub:${repo}@${revision}`,
    accessHint: token
      ? `On the Hub, check that "${repo}" exists, that the access token is valid, and that its account accepted the terms on huggingface.co/${repo}`
      : `On the Hub, check that "${repo}" exists; for a gated model accept its terms on huggingface.co/${repo} and ${tokenHint}`,
  });
}
