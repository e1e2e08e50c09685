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
    // `rudder` commands run in this process and must run the kernels' fused multiply-add build, as
    // the page does (Node 20 keeps relaxed SIMD behind this flag; vitest.config.ts says the same).
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
