/**
 * The app's build and dev server. Two things are not Vite defaults:
 * - Cross-origin isolation (COOP/COEP) on every response, so that SharedArrayBuffer exists and
 *   tfjs-backend-wasm can run its multi-threaded SIMD build.
 * - The repo's `models/` folder is served at `/models/` in dev and preview and copied into the
 *   build, without going through `public/` (the organisms are large and built elsewhere).
 */
import { createReadStream } from 'node:fs';
import { cp, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

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
  plugins: [serveFolder('/models/', join(ROOT, 'models'), 'models'), tfjsWasmThreadsMinifySafe()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
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
