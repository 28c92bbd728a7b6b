// Fault matrix row 10, short form (the full form runs in `pnpm faults`).
import { it } from 'vitest';
import { shortForm } from '../matrix.ts';
import { runShortRow, shortRow } from './short-row.ts';

it('poison and hostile input: each refused with its 4xx, nothing stored, no crash', () =>
  runShortRow(shortRow(shortForm(), '10')));
