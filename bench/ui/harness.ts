/**
 * What every UI measurement module shares: the built app (built here unless dist/ is there
 * already, or always with --build), served by Vite's preview with the same config as the browser
 * tests (cross-origin isolation headers, models/ at /models/), and Chromium on WebAssembly.
 * `--threads=N` opens every page with `?threads=N` (the model worker's WebAssembly threads;
 * without it, the app's default: two on a two-core machine).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { preview } from 'vite';
import { launch } from '../../tests/e2e/support/browser';

export const REPO = resolve(import.meta.dirname, '../..');

export interface Bench {
  /** The preview of the built app, without a trailing slash. */
  readonly url: string;
  /** The app's address `path` (with its own query, if any), plus `threads=N` under --threads=N. */
  at(path: string): string;
  readonly browser: Browser;
  /** Adds a row to the printed table. */
  report(row: Row): void;
}

export interface Row {
  readonly what: string;
  /** Median (ms). */
  readonly ms: number;
  /** Printed instead of `ms` when the row is not a time (a memory figure, a refusal). */
  readonly figure?: string;
  /** The issue's bar (ms), if there is one. */
  readonly target?: number;
  /** How many runs the median is of, the spread, or anything else worth printing. */
  readonly note?: string;
}

export type Measure = (bench: Bench) => Promise<void>;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

/** `runs: 5, min–max` for a row's note. */
export function spread(xs: readonly number[]): string {
  return `${xs.length} runs, ${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))} ms`;
}

const modules: { name: string; measure: Measure; onlyWhenNamed: boolean }[] = [];

/**
 * Called by each measurement module when main.ts imports it; they run in import order.
 * `onlyWhenNamed` modules (minutes long) run only when named: `npm run bench:ui -- real`.
 */
export function register(name: string, measure: Measure, opts: { onlyWhenNamed?: boolean } = {}): void {
  modules.push({ name, measure, onlyWhenNamed: opts.onlyWhenNamed ?? false });
}

export async function runModules(): Promise<void> {
  const rebuild = process.argv.includes('--build');
  if (rebuild || !existsSync(resolve(REPO, 'dist/index.html'))) {
    console.log('building the app (vite build)…');
    execFileSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: REPO, stdio: 'inherit' });
  } else {
    console.log('reusing dist/ (pass --build to rebuild it)');
  }
  const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const server = await preview({
    configFile: resolve(REPO, 'vite.config.ts'),
    root: REPO,
    logLevel: 'warn',
    preview: { host: 'localhost', port: 0, strictPort: false },
  });
  const url = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
  const threads = process.argv.find((a) => a.startsWith('--threads='))?.slice('--threads='.length);
  if (threads !== undefined && !/^[1-8]$/.test(threads)) throw new Error(`--threads=${threads}: use 1 to 8`);
  console.log(`WebAssembly threads: ${threads ?? "the app's default"}`);
  const at = (path: string) => {
    const u = new URL(path, `${url}/`);
    if (threads !== undefined) u.searchParams.set('threads', threads);
    return u.href;
  };
  const browser = await launch();
  const rows: Row[] = [];
  let failed = false;
  try {
    for (const m of modules) {
      if (only.length > 0 ? !only.includes(m.name) : m.onlyWhenNamed) continue;
      console.log(`\n# ${m.name}`);
      try {
        await m.measure({
          url,
          at,
          browser,
          report: (row) => {
            rows.push(row);
            console.log(line(row));
          },
        });
      } catch (e) {
        failed = true;
        console.error(`${m.name} failed: ${(e as Error).stack ?? e}`);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  console.log('\n# summary (Chromium, WebAssembly; medians)');
  for (const r of rows) console.log(line(r));
  if (failed) process.exitCode = 1;
}

function line(r: Row): string {
  const fig =
    r.figure !== undefined
      ? r.figure
      : r.ms >= 1000
        ? `${(r.ms / 1000).toFixed(2)} s`
        : `${Math.round(r.ms)} ms`;
  const bar =
    r.target === undefined
      ? ''
      : `target < ${r.target >= 1000 ? `${r.target / 1000} s` : `${r.target} ms`} ${r.ms < r.target ? 'ok' : 'MISSED'}`;
  return `${r.what.padEnd(48)} ${fig.padStart(9)}   ${bar.padEnd(22)} ${r.note ?? ''}`;
}
