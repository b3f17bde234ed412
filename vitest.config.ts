import { defineConfig } from 'vitest/config';

/**
 * Test files run side by side: most of the suite's time is spent waiting on
 * real services (Kafka, ClickHouse, Orthanc, Alertmanager, Chromium) rather
 * than on the CPU, so more files than cores run at once. Every test binds
 * fresh ports and writes to fresh folders, so files do not meet.
 * AIFI_TEST_WORKERS overrides the number (1 runs one file at a time).
 *
 * A fork runs its files one after another in one module graph (`isolate: false`): the code is
 * imported once per fork rather than once per file, which was a fifth of the suite's CPU. That
 * holds because no module keeps state a test reads (a collector's figures are its own registry;
 * chDB, one data directory per process at a time, is closed by each file that opens it). The
 * files in ISOLATED do read state of the process: each runs in a fork of its own.
 */
const workers = Number(process.env.AIFI_TEST_WORKERS ?? 4);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`AIFI_TEST_WORKERS must be a whole number of at least 1, not ${process.env.AIFI_TEST_WORKERS}`);

const EXCLUDE = ['node_modules/**', '.aifi/**'];
/** Files that read the process's default Prometheus registry (the orchestrator's counters, exact counts). */
const ISOLATED = ['cli/pacs-intake.int.test.ts'];

export default defineConfig({
  test: {
    // chDB allows one data directory per process at a time: test files run in forks.
    pool: 'forks',
    maxWorkers: workers,
    // Deadlines that catch a hang, not a speed check: with several files sharing the cores a test
    // takes a few times its time alone.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    projects: [
      { extends: true, test: { name: 'shared', include: ['**/*.test.ts'], exclude: [...EXCLUDE, ...ISOLATED], isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED, exclude: EXCLUDE, isolate: true } },
    ],
  },
});
