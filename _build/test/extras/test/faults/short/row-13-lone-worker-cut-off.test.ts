// Fault matrix row 13 (the same in `pnpm faults`).
import { it } from 'vitest';
import { shortForm } from '../matrix.ts';
import { runShortRow, shortRow } from './short-row.ts';

it('a worker cut off from Redis and Kafka past its lock lands no stale copy once reconnected', () =>
  runShortRow(shortRow(shortForm(), '13')));
