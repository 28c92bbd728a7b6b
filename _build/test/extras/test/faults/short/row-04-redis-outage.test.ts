// Fault matrix row 4, short form (the full form runs in `pnpm faults`).
import { it } from 'vitest';
import { shortForm } from '../matrix.ts';
import { runShortRow, shortRow } from './short-row.ts';

it('Redis restarted and killed -9: 503 while down, nothing lost with AOF always', () =>
  runShortRow(shortRow(shortForm(), '4')));
