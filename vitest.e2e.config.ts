import { defineConfig } from 'vitest/config';

/**
 * Browser tests: Vitest runs Node-side files that drive Chromium (playwright-core). Files run
 * one after another: each starts a browser, and the machine has two cores.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.e2e.ts'],
    globalSetup: ['tests/e2e/support/global-setup.ts'],
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
