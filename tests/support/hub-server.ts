/**
 * A local stand-in for the Hugging Face Hub's file server: folders on disk served at
 * `/{owner}/{name}/resolve/{revision}/{file}` on 127.0.0.1 (random port), answering like the
 * Hub does (content-length, HEAD, 404 "Entry not found", 401 for unknown or gated repos,
 * optional 302 redirects of weight files to a CDN path, CORS for browser tests).
 * Fault injection (truncated bodies, slow bodies) lets tests exercise the download paths.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve, sep } from 'node:path';

export interface HubServerOptions {
  /** `owner/name` (served as revision `main`) or `owner/name@revision` → folder on disk. */
  readonly repos: Readonly<Record<string, string>>;
  /** `owner/name` → the token that unlocks it (`Authorization: Bearer <token>`); others get 401. */
  readonly gated?: Readonly<Record<string, string>>;
  /** `owner/name/file` → bytes actually sent; content-length still announces the whole file. */
  readonly truncate?: Readonly<Record<string, number>>;
  /** Send bodies in pieces of `chunkBytes` with `delayMs` between them (for progress and abort). */
  readonly throttle?: { readonly chunkBytes: number; readonly delayMs: number };
  /** Answer `*.safetensors` with a 302 to `/cdn/...`, as the Hub does for LFS files. */
  readonly redirectWeights?: boolean;
}

export interface HubServer {
  /** `http://127.0.0.1:<port>`: pass as the Hub endpoint. */
  readonly url: string;
  /** Every request received, in order (`HEAD /owner/name/resolve/main/config.json`). */
  readonly requests: { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const requests: { method: string; path: string }[] = [];
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? 'GET', path });
    handle(opts, req, res, path).catch((e: unknown) => {
      if (!res.headersSent) reply(res, 500, 'InternalError', String(e));
      else res.destroy();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'content-length, x-error-code, x-error-message, location',
};

function reply(res: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: message });
  res.writeHead(status, {
    ...CORS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-error-code': code,
    'x-error-message': message,
  });
  res.end(body);
}

async function handle(opts: HubServerOptions, req: IncomingMessage, res: ServerResponse, path: string) {
  if (req.method === 'OPTIONS') {
    res.writeHead(204, {
      ...CORS,
      'access-control-allow-headers': 'authorization, range',
      'access-control-allow-methods': 'GET, HEAD',
    });
    res.end();
    return;
  }
  const parts = path.split('/').slice(1).map(decodeURIComponent);
  const cdn = parts[0] === 'cdn';
  // /owner/name/resolve/rev/file...  or  /cdn/owner/name/rev/file...
  const [owner, name, resolveWord, revision, ...fileParts] = cdn
    ? [parts[1], parts[2], 'resolve', parts[3], ...parts.slice(4)]
    : parts;
  if (!owner || !name || resolveWord !== 'resolve' || !revision || fileParts.length === 0) {
    reply(res, 404, 'NotFound', 'Not found');
    return;
  }
  const repo = `${owner}/${name}`;
  const file = fileParts.join('/');
  const known = Object.keys(opts.repos).some((k) => k === repo || k.startsWith(`${repo}@`));
  const token = opts.gated?.[repo];
  if (!known) {
    reply(res, 401, 'RepoNotFound', 'Repository not found');
    return;
  }
  if (token !== undefined && req.headers.authorization !== `Bearer ${token}`) {
    reply(res, 401, 'GatedRepo', `Access to model ${repo} is restricted. You must have access to it.`);
    return;
  }
  const dir = opts.repos[`${repo}@${revision}`] ?? (revision === 'main' ? opts.repos[repo] : undefined);
  if (dir === undefined) {
    reply(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    return;
  }
  const root = resolve(dir);
  const full = resolve(root, file);
  const info = full.startsWith(root + sep) ? await stat(full).catch(() => undefined) : undefined;
  if (!info?.isFile()) {
    reply(res, 404, 'EntryNotFound', 'Entry not found');
    return;
  }
  if (opts.redirectWeights && !cdn && file.endsWith('.safetensors')) {
    res.writeHead(302, {
      ...CORS,
      location: `/cdn/${repo}/${revision}/${fileParts.map((p) => encodeURIComponent(p!)).join('/')}`,
    });
    res.end();
    return;
  }
  res.writeHead(200, {
    ...CORS,
    'content-type': file.endsWith('.json') ? 'application/json' : 'application/octet-stream',
    'content-length': info.size,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const limit = opts.truncate?.[`${repo}/${file}`];
  if (limit === undefined && !opts.throttle) {
    createReadStream(full).pipe(res);
    return;
  }
  await sendPaced(res, full, limit ?? info.size, opts.throttle);
  // Closing the socket early is what a dropped connection looks like to the client.
  if (limit !== undefined && limit < info.size) res.destroy();
  else res.end();
}

async function sendPaced(
  res: ServerResponse,
  path: string,
  count: number,
  throttle: HubServerOptions['throttle'],
): Promise<void> {
  const fh = await open(path, 'r');
  try {
    const chunk = throttle?.chunkBytes ?? count;
    for (let pos = 0; pos < count && !res.destroyed; pos += chunk) {
      const buf = Buffer.alloc(Math.min(chunk, count - pos));
      await fh.read(buf, 0, buf.length, pos);
      await new Promise<void>((ok) => res.write(buf, () => ok()));
      if (throttle) await new Promise((ok) => setTimeout(ok, throttle.delayMs));
    }
  } finally {
    await fh.close();
  }
}
