import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // The engine tests share one tfjs WebAssembly backend per worker; two cores make more
    // workers slower, not faster.
    maxWorkers: 2,
    // The organism evaluations generate hundreds of replies in their first test.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
