/**
 * Flushes what the kernel holds for the disk (`sync`), so that the next design is not measured
 * while the writes of the parts before it go to disk. The kernel writes a dirty page back about
 * 30 s after it was written (`vm.dirty_expire_centisecs`), on the disk Redis fsyncs its AOF to:
 * B3's baselines send hundreds of megabytes through the broker, and B4 and B5, measured next,
 * would pay for their writeback.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface DiskFlush {
  /** Dirty and under-writeback memory before the flush, in bytes (NaN where unknown). */
  pendingBytes: number;
  seconds: number;
}

/** Sums `Dirty` and `Writeback` from /proc/meminfo (kB); NaN when they cannot be read. */
export function pendingWriteBytes(meminfo: string): number {
  let total = 0;
  let found = 0;
  for (const line of meminfo.split('\n')) {
    const match = /^(Dirty|Writeback):\s+(\d+) kB$/.exec(line.trim());
    if (!match) continue;
    total += Number(match[2]) * 1024;
    found++;
  }
  return found === 2 ? total : NaN;
}

export function flushDisk(): DiskFlush {
  let pendingBytes = NaN;
  try {
    pendingBytes = pendingWriteBytes(readFileSync('/proc/meminfo', 'utf8'));
  } catch {
    // Not Linux: the flush still runs, its size is unknown.
  }
  const started = performance.now();
  spawnSync('sync', { stdio: 'ignore' });
  return { pendingBytes, seconds: (performance.now() - started) / 1000 };
}

/** `412 MiB in 2.10 s` for a progress line. */
export function describeFlush(flush: DiskFlush): string {
  const size = Number.isNaN(flush.pendingBytes)
    ? 'an unknown amount'
    : `${(flush.pendingBytes / 2 ** 20).toFixed(0)} MiB`;
  return `${size} in ${flush.seconds.toFixed(2)} s`;
}
