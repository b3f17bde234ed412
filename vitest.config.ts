import { defineConfig } from 'vitest/config';

/**
 * Test files run side by side: most of the suite's time is spent waiting on
 * real services (Kafka, ClickHouse, Orthanc, Alertmanager, Chromium) rather
 * than on the CPU, so more files than cores run at once. Every test binds
 * fresh ports and writes to fresh folders, so files do not meet.
 * AIFI_TEST_WORKERS overrides the number (1 runs one file at a time).
 */
const workers = Number(process.env.AIFI_TEST_WORKERS ?? 4);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`AIFI_TEST_WORKERS must be a whole number of at least 1, not ${process.env.AIFI_TEST_WORKERS}`);

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.aifi/**'],
    // chDB allows one data directory per process: isolate test files in forks.
    pool: 'forks',
    maxWorkers: workers,
    // Deadlines that catch a hang, not a speed check: with several files sharing the cores a test
    // takes a few times its time alone.
    testTimeout: 300_000,
    hookTimeout: 300_000,
  },
});
