// Fault matrix row 2, short form (the full form runs in `pnpm faults`).
import { it } from 'vitest';
import { shortForm } from '../matrix.ts';
import { runShortRow, shortRow } from './short-row.ts';

it('a worker killed -9 again and again under load loses nothing', () =>
  runShortRow(shortRow(shortForm(), '2')));
