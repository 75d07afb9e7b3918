import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Native addons are loaded per process; forks keep every test file isolated.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 300_000,
  },
});
