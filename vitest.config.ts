import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file starts its own real stack; two cores run two files at a time comfortably.
    maxWorkers: 2,
    env: { WRANGLER_SEND_METRICS: 'false' },
  },
});
