import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.aifi/**'],
    // chDB allows one data directory per process: isolate test files in forks.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
