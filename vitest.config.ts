import { defineConfig } from 'vitest/config';

// Three tiers told apart by name (CONVENTIONS.md, Tests): `*.test.ts` pure unit tests,
// `*.int.test.ts` against the real Redis and Kafka, and `test/` end to end through processes.

/**
 * Makes sure the shared Redis and Kafka answer (starting the local ones if need be), for a Vitest
 * run of its own (`pnpm vitest run <file>`); `pnpm test` does it once before its two Vitest
 * processes (scripts/test.ts). The fault rows use a Redis and a broker of their own.
 */
const sharedServices = ['packages/testkit/src/global-setup.ts'];
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
          globalSetup: sharedServices,
          include: ['test/**/*.test.ts'],
          exclude: ['test/faults/**', 'test/cluster/**', '**/node_modules/**'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
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
