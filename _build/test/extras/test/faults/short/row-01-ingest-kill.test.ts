// Fault matrix row 1, short form (the full form runs in `pnpm faults`).
import { it } from 'vitest';
import { shortForm } from '../matrix.ts';
import { runShortRow, shortRow } from './short-row.ts';

it('an ingest killed -9 again and again under load loses nothing it answered 2xx', () =>
  runShortRow(shortRow(shortForm(), '1')));
