// Fault matrix row 5, short form (the full form runs in `pnpm faults`).
import { it } from 'vitest';
import { shortForm } from '../matrix.ts';
import { runShortRow, shortRow } from './short-row.ts';

it('Kafka stopped for a minute under load: accepted all along, drained after, nothing lost', () =>
  runShortRow(shortRow(shortForm(), '5')));
