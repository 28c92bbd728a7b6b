/**
 * Loaded into a role process with `NODE_OPTIONS=--import=<this file>` by
 * bench/latency-breakdown.ts: appends the process's loop samples (loop-watch.ts), one JSON line a
 * second, to `$LOOP_WATCH_DIR/<pid>.jsonl`. Does nothing without LOOP_WATCH_DIR.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLoopWatch } from './loop-watch.ts';

const dir = process.env.LOOP_WATCH_DIR;
if (dir) {
  const file = join(dir, `${process.pid}.jsonl`);
  startLoopWatch((sample) => appendFileSync(file, `${JSON.stringify(sample)}\n`));
}
