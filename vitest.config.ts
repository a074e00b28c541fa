import { defineConfig } from 'vitest/config';

/** The black-box API suites that run on both runtimes; the rest drive Node-side tools. */
const API_SUITES = [
  'test/auth.test.ts',
  'test/errors.test.ts',
  'test/files.test.ts',
  'test/downloads.test.ts',
  'test/openapi.test.ts',
  'test/rate-limits.test.ts',
  'test/concurrency.test.ts',
  'test/fuzz.test.ts',
  'test/hostile-documents.test.ts',
  'test/sessions.test.ts',
  'test/signup-modes.test.ts',
  'test/mail.test.ts',
  'test/users.test.ts',
  'test/invitations.test.ts',
  'test/sharing.test.ts',
  'test/share-notices.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Each file starts its own real stack; two cores run two files at a time comfortably.
    maxWorkers: 2,
    env: { WRANGLER_SEND_METRICS: 'false' },
    projects: [
      { extends: true, test: { name: 'node', include: ['test/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'workerd',
          include: API_SUITES,
          env: { TEST_RUNTIME: 'workerd' },
          globalSetup: ['test/global-setup-workerd.ts'],
        },
      },
    ],
  },
});
