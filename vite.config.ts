/**
 * The app's build and dev server. What is not a Vite default:
 * - Cross-origin isolation (COOP/COEP) on every response, so that SharedArrayBuffer exists and
 *   tfjs-backend-wasm can run its multi-threaded SIMD build.
 * - The repo's `models/` folder is served at `/models/` in dev and preview and copied into the
 *   build, without going through `public/` (the organisms are large and built elsewhere).
 * - `/models/versions.json` names a content hash per shipped model, computed from the files as
 *   they are served (dev, preview) or copied (build): the app fetches each model's files with
 *   `?v=<hash>`, so a retrained organism is never read from an old Cache Storage entry.
 * - A Content-Security-Policy in the build (no inline script, no eval; CONTENT_SECURITY_POLICY).
 * - docs/METHODS.md rendered as `methods.html` (scripts/methods-page.ts), which the page links to.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { methodsPage } from './scripts/methods-page.ts';

const ROOT = fileURLToPath(new URL('.', import.meta.url));

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

const TYPES: Record<string, string> = {
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.jinja': 'text/plain; charset=utf-8',
};

/**
 * The built app's Content-Security-Policy: no inline script and no eval anywhere. What each
 * source is for:
 * - script-src 'wasm-unsafe-eval': compiling tfjs-backend-wasm's WebAssembly (nothing else);
 * - worker-src blob: and script-src blob: the threaded wasm build starts its pthread workers from
 *   blob URLs, which importScripts a blob of tfjs (only script already running can make one);
 * - connect-src https: models load from any https address a person names (the Hub and the CDN
 *   it redirects to, or another server), and http on localhost for a local server;
 * - img-src data: blob: the page's empty favicon, and exported charts drawn to PNG;
 * - style-src 'unsafe-inline' is absent: React and d3 set styles through the CSSOM, which CSP
 *   allows.
 * A <meta> carries it into every copy of the build (a static host sets no headers); the preview
 * server also sends it as a header, which is what reaches the model worker, as a worker takes its
 * policy from its own script's response rather than from the page.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' https: http://localhost:* http://127.0.0.1:*",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Puts the policy in the built index.html as the first element of <head>. */
export function contentSecurityPolicy(): Plugin {
  return {
    name: 'rudder:content-security-policy',
    apply: 'build',
    transformIndexHtml: () => [
      {
        tag: 'meta',
        attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
        injectTo: 'head-prepend',
      },
    ],
  };
}

type Next = (err?: unknown) => void;

/**
 * A connect middleware serving the files under `dir` at `prefix` (GET and HEAD, exact bytes,
 * content-length, 404 for anything missing). Vite's own static serving would answer a missing
 * file with index.html, which a model loader would take for a file that exists.
 */
export function folderMiddleware(prefix: string, dir: string) {
  const root = resolve(dir);
  return async (req: IncomingMessage, res: ServerResponse, next: Next) => {
    const path = (req.url ?? '').split('?')[0]!;
    if (!path.startsWith(prefix)) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    let rel: string;
    try {
      rel = decodeURIComponent(path.slice(prefix.length));
    } catch {
      rel = '';
    }
    const full = resolve(root, rel);
    const info = full.startsWith(root + sep) ? await stat(full).catch(() => undefined) : undefined;
    if (!info?.isFile()) {
      res.writeHead(404, { ...ISOLATION_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`Not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'content-type': TYPES[extname(full)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(full).pipe(res);
  };
}

/** Serves `dir` at `prefix` in dev and preview; with `copyTo`, copies it into the build there. */
export function serveFolder(prefix: string, dir: string, copyTo?: string): Plugin {
  let outDir = 'dist';
  return {
    name: `rudder:serve-folder:${prefix}`,
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(folderMiddleware(prefix, dir));
    },
    configurePreviewServer(server) {
      server.middlewares.use(folderMiddleware(prefix, dir));
    },
    async writeBundle() {
      if (!copyTo) return;
      const exists = await stat(dir).catch(() => undefined);
      if (exists?.isDirectory()) await cp(dir, join(outDir, copyTo), { recursive: true });
    },
  };
}

/** Content hashes of the model folders (those with a config.json) under `dir`, by folder name. */
export async function modelVersions(dir: string): Promise<Record<string, string>> {
  const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: Record<string, string> = {};
  for (const d of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const folder = join(dir, d.name);
    if (!d.isDirectory() || !(await stat(join(folder, 'config.json')).catch(() => undefined))) continue;
    out[d.name] = await folderHash(folder);
  }
  return out;
}

/** Memo by path → [size, mtime, hash]: a request for versions.json re-reads only changed files. */
const fileHashes = new Map<string, [number, number, string]>();

async function folderHash(folder: string): Promise<string> {
  const files = (await readdir(folder, { recursive: true, withFileTypes: true }))
    .filter((f) => f.isFile())
    .map((f) => join(f.parentPath, f.name))
    .sort();
  const h = createHash('sha256');
  for (const file of files) {
    const info = await stat(file);
    let memo = fileHashes.get(file);
    if (!memo || memo[0] !== info.size || memo[1] !== info.mtimeMs) {
      memo = [
        info.size,
        info.mtimeMs,
        createHash('sha256')
          .update(await readFile(file))
          .digest('hex'),
      ];
      fileHashes.set(file, memo);
    }
    h.update(
      `${file
        .slice(folder.length + 1)
        .split(sep)
        .join('/')}\0${memo[2]}\n`,
    );
  }
  return h.digest('hex').slice(0, 16);
}

/**
 * Serves `${prefix}versions.json` (the models' content hashes, recomputed per request from the
 * folder being served) and writes it into the build beside the copied models.
 */
export function modelVersionsFile(prefix: string, dir: string, copyTo?: string): Plugin {
  let outDir = 'dist';
  const middleware = async (req: IncomingMessage, res: ServerResponse, next: Next) => {
    if ((req.url ?? '').split('?')[0] !== `${prefix}versions.json`) return next();
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const body = JSON.stringify(await modelVersions(dir));
    res.writeHead(200, {
      ...ISOLATION_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  return {
    name: `rudder:model-versions:${prefix}`,
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(middleware);
    },
    configurePreviewServer(server) {
      server.middlewares.use(middleware);
    },
    async writeBundle() {
      if (!copyTo) return;
      await mkdir(join(outDir, copyTo), { recursive: true });
      await writeFile(join(outDir, copyTo, 'versions.json'), JSON.stringify(await modelVersions(dir)));
    },
  };
}

/**
 * tfjs-backend-wasm starts its pthread workers from `factory.toString()`, so the threaded
 * factory must make sense on its own. Its only outer variable is `_scriptDir`, read as
 * `typeof _scriptDir !== "undefined" && _scriptDir`; the minifier, seeing it declared, drops the
 * `typeof` guard, and each worker dies with "e is not defined". Removing the outer declaration
 * makes it a free name (undefined in the workers; tfjs locates every file itself anyway), so
 * the guard stays. Pinned to tfjs 4.22's text: the build fails if it changes.
 */
export function tfjsWasmThreadsMinifySafe(): Plugin {
  const declaration =
    "var _scriptDir = typeof document !== 'undefined' && document.currentScript ? document.currentScript.src : undefined;";
  const nodeFallback = "if (typeof __filename !== 'undefined') _scriptDir = _scriptDir || __filename;";
  return {
    name: 'rudder:tfjs-wasm-threads-minify-safe',
    apply: 'build',
    transform(code, id) {
      if (!/tfjs-backend-wasm[\\/]wasm-out[\\/]tfjs-backend-wasm-threaded-simd\.js$/.test(id)) return null;
      if (!code.includes(declaration) || !code.includes(nodeFallback)) {
        this.error(
          'tfjs-backend-wasm-threaded-simd.js changed: revisit the _scriptDir rewrite in vite.config.ts.',
        );
      }
      return { code: code.replace(declaration, '').replace(nodeFallback, ''), map: null };
    },
  };
}

export default defineConfig({
  root: ROOT,
  // No HTML fallback: a missing file is a 404, never index.html.
  appType: 'mpa',
  // The versions plugin first: its middleware answers /models/versions.json before the folder's.
  plugins: [
    modelVersionsFile('/models/', join(ROOT, 'models'), 'models'),
    serveFolder('/models/', join(ROOT, 'models'), 'models'),
    tfjsWasmThreadsMinifySafe(),
    contentSecurityPolicy(),
    methodsPage(join(ROOT, 'docs/METHODS.md'), ISOLATION_HEADERS),
  ],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: { ...ISOLATION_HEADERS, 'Content-Security-Policy': CONTENT_SECURITY_POLICY } },
  // Workers are bundled separately, with their own plugins: the model (and tfjs) live there.
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsMinifySafe()] },
  build: {
    target: 'es2022',
    // tfjs and its backends are large by nature; the warning would fire on every build.
    chunkSizeWarningLimit: 4096,
  },
  optimizeDeps: {
    // The worker's graph is found only when it is first requested; list its heavy deps up
    // front so the first page load does not trigger a re-optimisation and a reload.
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      '@huggingface/tokenizers',
      '@huggingface/jinja',
      'comlink',
      'react',
      'react-dom/client',
      'zustand',
    ],
  },
});
