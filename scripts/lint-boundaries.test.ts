// Proves the architecture rules in eslint.config.js can fail: each case lints a small piece of
// code as if it lived at a path in the repo, and expects the boundary rule to report it.
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({
  cwd: new URL('..', import.meta.url).pathname,
  // The snippets are not on disk, so type-aware rules cannot run on them; the rule under test
  // does not need types.
  overrideConfig: tseslint.configs.disableTypeChecked,
});

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

describe('import boundaries', () => {
  it.each([
    ['apps/worker/src/x.ts', "import express from 'express';", 'only apps'],
    ['apps/ingest/src/x.ts', "import { Queue } from 'bullmq';", 'only packages/queue'],
    ['apps/ingest/src/x.ts', "import Redis from 'ioredis';", 'only packages/queue'],
    ['apps/worker/src/x.ts', "import { Kafka } from 'kafkajs';", 'only packages/kafka'],
    ['packages/queue/src/x.ts', "import { Kafka } from 'kafkajs';", 'only packages/kafka'],
    ['packages/runtime/src/x.ts', "import express from 'express';", 'only apps'],
    ['apps/worker/src/x.ts', "import { x } from '@commitlog/ingest';", 'may not depend'],
    ['apps/ingest/src/x.ts', "import { x } from '@commitlog/kafka';", 'may not depend'],
    ['apps/ingest/src/x.ts', "import { x } from '../../worker/src/y.ts';", 'by name'],
    ['packages/core/src/x.ts', "import { x } from '@commitlog/queue';", 'may not depend'],
    ['packages/core/src/x.ts', "import { readFile } from 'node:fs/promises';", 'pure'],
    ['apps/ingest/src/x.ts', "import { x } from '@commitlog/testkit';", 'may not depend'],
  ])('%s: %s is refused', async (filePath, code, reason) => {
    const errors = await boundaryErrors(filePath, `${code}\nexport {};\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(reason);
  });

  it.each([
    ['packages/queue/src/x.ts', "import { Queue } from 'bullmq';"],
    ['packages/kafka/src/x.ts', "import { Kafka } from 'kafkajs';"],
    ['apps/ingest/src/x.ts', "import express from 'express';"],
    ['apps/worker/src/x.ts', "import { x } from '@commitlog/kafka';"],
    ['apps/ingest/src/x.test.ts', "import { x } from '@commitlog/testkit';"],
    ['packages/core/src/x.ts', "import { createHash } from 'node:crypto';"],
  ])('%s: %s is allowed', async (filePath, code) => {
    expect(await boundaryErrors(filePath, `${code}\nexport {};\n`)).toEqual([]);
  });
});
