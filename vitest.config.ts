import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // The engine tests share one tfjs WebAssembly backend per worker; two cores make more
    // workers slower, not faster.
    maxWorkers: 2,
    // The kernels' fused multiply-add build needs relaxed SIMD, which Chromium has and Node 20
    // keeps behind this flag: with it, the engine tests run the build the app runs.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    // The organism evaluations generate hundreds of replies in their first test.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
