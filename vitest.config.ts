import { defineConfig } from 'vitest/config';

// Three tiers told apart by name (CONVENTIONS.md, Tests): `*.test.ts` pure unit tests,
// `*.int.test.ts` against the real Redis and Kafka, and `test/` end to end through processes.

/**
 * Makes sure the shared Redis and Kafka answer (starting the local ones if need be), for a Vitest
 * run of its own (`pnpm vitest run <file>`); `pnpm test` does it once before its two Vitest
 * processes (scripts/test.ts). The fault rows use a Redis and a broker of their own.
 */
const sharedServices = ['packages/testkit/src/global-setup.ts'];
/**
 * The unit, int and e2e files run in Vitest's workers without a fresh process each (one worker on
 * the 2-core build machine, which runs them all): a fresh process cost 1.3–1.7 s per file there,
 * and CI's Vitest step of these tiers went from 816 s to 710 s without it. What a file leaves
 * behind now lives on for the run, so files undo what they change in the process: no module
 * mocks; fake timers, env stubs, spies and signal handlers are undone after each test. What is
 * not undone: each metrics registry's event-loop monitor and GC observer (prom-client cannot stop
 * them), a timer every 10 ms each, a few dozen in all.
 */
const shared = { isolate: false };
export default defineConfig({
  test: {
    // kafkajs 2.2.4 (unmaintained since 2023) schedules a timer with a negative delay, which
    // Node 24 reports on every connection (kafkajs#1751); Node runs it after 1 ms, as kafkajs meant.
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          ...shared,
          globalSetup: sharedServices,
          include: [
            'apps/*/src/**/*.test.ts',
            'packages/*/src/**/*.test.ts',
            'scripts/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'int',
          ...shared,
          globalSetup: sharedServices,
          include: ['apps/*/src/**/*.int.test.ts', 'packages/*/src/**/*.int.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          ...shared,
          globalSetup: sharedServices,
          include: ['test/**/*.test.ts'],
          exclude: ['test/faults/**', 'test/cluster/**', '**/node_modules/**'],
          testTimeout: 120_000,
          // Set-ups start private brokers and the roles (kafka.sh waits up to 120 s for a broker): a
          // hook timed out first leaves what it started running, unassigned for its afterAll.
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // Scale-out on a private Redis Cluster, a 3-broker Kafka and 1 -> 3 -> 2 workers
          // (README, "Running in production"); `pnpm test:cluster` runs only these.
          name: 'cluster',
          globalSetup: sharedServices,
          include: ['test/cluster/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // The short form of the fault matrix (rows 1, 2, 4, 5, 10 and 13); `pnpm faults` runs it all.
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
