/**
 * Starts what the browser tests talk to: Vite's dev server with the repo as root (so test pages
 * under tests/e2e/pages/ import engine modules directly), and, with RUDDER_E2E_APP=build, a
 * preview server of the built app (`vite build` first). Both add two test-only folders:
 * /shared-reference/ (../shared/reference, absent outside this machine and CI) and
 * /e2e-models/ (model folders the tests prepare).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer, preview } from 'vite';
import type { TestProject } from 'vitest/node';
import { serveFolder } from '../../../vite.config';
import { prepareModels } from './prepare-models';

export const REPO = resolve(import.meta.dirname, '../../..');
const SHARED_REFERENCE = resolve(REPO, '../shared/reference');

declare module 'vitest' {
  export interface ProvidedContext {
    /** Dev server: test pages and the app from source. */
    devUrl: string;
    /** The app under test: the preview of the build, or the dev server. */
    appUrl: string;
    appKind: 'build' | 'dev';
    /** Folders the tests serve at /e2e-models/<name> and through the local Hub. */
    e2eModels: string;
    /** Whether /shared-reference/stories260K exists. */
    hasStories260K: boolean;
  }
}

export default async function setup(project: TestProject) {
  const e2eModels = await prepareModels();
  const plugins = [
    serveFolder('/shared-reference/', SHARED_REFERENCE),
    serveFolder('/e2e-models/', e2eModels.dir),
  ];
  const dev = await createServer({
    configFile: resolve(REPO, 'vite.config.ts'),
    root: REPO,
    plugins,
    logLevel: 'warn',
    clearScreen: false,
    server: { host: 'localhost', port: 0, strictPort: false, hmr: false, watch: null },
  });
  await dev.listen();
  const devUrl = dev.resolvedUrls!.local[0]!.replace(/\/$/, '');

  let appUrl = devUrl;
  let closePreview: (() => Promise<void>) | undefined;
  const appKind = process.env.RUDDER_E2E_APP === 'build' ? 'build' : 'dev';
  if (appKind === 'build') {
    if (!existsSync(resolve(REPO, 'dist/index.html'))) {
      throw new Error('RUDDER_E2E_APP=build needs the built app in dist/: run `npx vite build` first.');
    }
    const server = await preview({
      configFile: resolve(REPO, 'vite.config.ts'),
      root: REPO,
      plugins,
      logLevel: 'warn',
      preview: { host: 'localhost', port: 0, strictPort: false },
    });
    appUrl = server.resolvedUrls!.local[0]!.replace(/\/$/, '');
    closePreview = () => server.close();
  }
  console.log(`[e2e] app under test: ${appKind} at ${appUrl}; test pages at ${devUrl}`);

  project.provide('devUrl', devUrl);
  project.provide('appUrl', appUrl);
  project.provide('appKind', appKind);
  project.provide('e2eModels', e2eModels.dir);
  project.provide('hasStories260K', existsSync(resolve(SHARED_REFERENCE, 'stories260K/config.json')));

  return async () => {
    await closePreview?.();
    await dev.close();
    await e2eModels.remove();
  };
}
