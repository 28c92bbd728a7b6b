// Lint, including the architecture: which folder may import what (DESIGN.md, "Layout").
// A boundary violation is a lint error, and `pnpm test` runs lint, so it fails the tests.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const APPS = ['ingest', 'worker', 'dashboard', 'cli', 'riak-hook'];
const PACKAGES = ['core', 'queue', 'kafka', 'runtime', 'testkit'];

/** Third-party libraries that exactly one place may import. */
const OWNED = [
  { names: ['bullmq', 'ioredis'], owner: 'packages/queue' },
  { names: ['kafkajs', '@platformatic/kafka'], owner: 'packages/kafka' },
  { names: ['express'], owner: 'apps (ingest, dashboard)' },
  { names: ['@bull-board/*'], owner: 'apps/dashboard' },
];

const NODE_IO = ['fs', 'net', 'http', 'https', 'http2', 'child_process', 'dgram', 'dns', 'tls'];

/**
 * The no-restricted-imports rule for files in one folder.
 * @param {{ ownsLibs?: string[], mayImport: string[], noNodeIo?: boolean }} area
 */
function boundaries({ ownsLibs = [], mayImport, noNodeIo = false }) {
  const patterns = [];
  for (const { names, owner } of OWNED) {
    const forbidden = names.filter((n) => !ownsLibs.includes(n));
    if (forbidden.length > 0) {
      patterns.push({
        group: forbidden.flatMap((n) => [n, `${n}/*`]),
        message: `only ${owner} may import this (DESIGN.md, Layout)`,
      });
    }
  }
  const internal = [...PACKAGES, ...APPS].filter((n) => !mayImport.includes(n));
  if (internal.length > 0) {
    patterns.push({
      group: internal.flatMap((n) => [`@commitlog/${n}`, `@commitlog/${n}/*`]),
      message: 'this folder may not depend on that workspace package (DESIGN.md, Layout)',
    });
  }
  patterns.push({
    regex: `^(\\.\\./)+(apps|packages|${APPS.join('|')}|${PACKAGES.join('|')})(/|$)`,
    message: 'import other workspace packages by name, never by a relative path',
  });
  if (noNodeIo) {
    patterns.push({
      group: NODE_IO.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]),
      message: 'packages/core is pure: no I/O',
    });
  }
  return { 'no-restricted-imports': ['error', { patterns }] };
}

const TEST_FILES = ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '.data/**',
      '.artifacts/**',
      'apps/riak-hook/**',
      'bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  { files: ['**/*.js'], ...tseslint.configs.disableTypeChecked },
  // Architecture, folder by folder.
  { files: ['packages/core/**/*.ts'], rules: boundaries({ mayImport: [], noNodeIo: true }) },
  {
    files: ['packages/queue/**/*.ts'],
    rules: boundaries({ ownsLibs: ['bullmq', 'ioredis'], mayImport: ['core'] }),
  },
  {
    files: ['packages/kafka/**/*.ts'],
    rules: boundaries({ ownsLibs: ['kafkajs', '@platformatic/kafka'], mayImport: ['core'] }),
  },
  { files: ['packages/runtime/**/*.ts'], rules: boundaries({ mayImport: ['core'] }) },
  { files: ['packages/testkit/**/*.ts'], rules: boundaries({ mayImport: PACKAGES }) },
  {
    files: ['apps/ingest/src/**/*.ts'],
    rules: boundaries({ ownsLibs: ['express'], mayImport: ['core', 'queue', 'runtime'] }),
  },
  {
    files: ['apps/worker/src/**/*.ts'],
    rules: boundaries({ mayImport: ['core', 'queue', 'kafka', 'runtime'] }),
  },
  {
    files: ['apps/dashboard/src/**/*.ts'],
    rules: boundaries({
      ownsLibs: ['express', '@bull-board/*'],
      mayImport: ['core', 'queue', 'runtime'],
    }),
  },
  {
    files: ['apps/cli/src/**/*.ts'],
    rules: boundaries({ mayImport: ['core', 'queue', 'runtime'] }),
  },
  // Tests may use the test kit on top of what their folder may import; end-to-end tests and
  // benchmarks join everything, but still reach Redis and Kafka only through our packages.
  {
    files: ['apps/ingest/**/*.test.ts'],
    rules: boundaries({
      ownsLibs: ['express'],
      mayImport: ['core', 'queue', 'runtime', 'testkit'],
    }),
  },
  {
    files: ['apps/worker/**/*.test.ts'],
    rules: boundaries({ mayImport: ['core', 'queue', 'kafka', 'runtime', 'testkit'] }),
  },
  {
    files: ['apps/dashboard/**/*.test.ts'],
    rules: boundaries({
      ownsLibs: ['express', '@bull-board/*'],
      mayImport: ['core', 'queue', 'runtime', 'testkit'],
    }),
  },
  {
    files: ['apps/cli/**/*.test.ts'],
    rules: boundaries({ mayImport: ['core', 'queue', 'runtime', 'testkit'] }),
  },
  {
    files: ['packages/queue/**/*.test.ts', 'packages/queue/test/**/*.ts'],
    rules: boundaries({ ownsLibs: ['bullmq', 'ioredis'], mayImport: ['core', 'testkit'] }),
  },
  {
    files: ['packages/kafka/**/*.test.ts'],
    rules: boundaries({
      ownsLibs: ['kafkajs', '@platformatic/kafka'],
      mayImport: ['core', 'testkit'],
    }),
  },
  {
    files: ['packages/runtime/**/*.test.ts'],
    rules: boundaries({ mayImport: ['core', 'testkit'] }),
  },
  { files: ['test/**/*.ts', 'bench/**/*.ts'], rules: boundaries({ mayImport: PACKAGES }) },
  // The benchmark's baselines are what a team would write without commitlog's packages (bare
  // express, BullMQ, kafkajs), so they import those libraries directly; nothing else in bench may.
  {
    files: ['bench/baselines/**/*.ts'],
    rules: boundaries({
      ownsLibs: ['bullmq', 'ioredis', 'kafkajs', 'express'],
      mayImport: PACKAGES,
    }),
  },
  {
    files: TEST_FILES,
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
