import { describe, expect, it } from 'vitest';
import { lateRecords } from './late-records.ts';
import type { StepResult } from './results.ts';

const step = (topic: string | undefined, recordsRead: number | undefined) =>
  ({ topic, recordsRead }) as StepResult;

describe('lateRecords', () => {
  it("counts the records each step's topic gained since the step read it, over the steps that read one", async () => {
    const now: Record<string, number> = { a: 100, b: 52, c: 10 };
    const stamps = { count: (topics: readonly string[]) => Promise.resolve(now[topics[0]!]!) };
    const late = await lateRecords(stamps, [
      step('a', 100),
      step('b', 50),
      step(undefined, undefined), // B1 stores nothing: no topic read
      undefined,
      step('c', 10),
    ]);
    expect(late).toEqual({ records: 2, topics: 3 });
  });
});
