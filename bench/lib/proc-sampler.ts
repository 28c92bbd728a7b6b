/**
 * CPU time and resident memory of processes, from Linux's /proc: CPU seconds (user + system) and
 * context switches at the start and end of a phase, and the peak RSS seen by sampling every
 * `intervalMs` in between.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/**
 * CPU seconds used so far by `pid` and by the children it has waited for, or NaN when it cannot
 * be read (it exited). The children count: Redis rewrites its AOF in a child process it forks,
 * and that work is Redis's work per commit.
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces: utime is field 14, stime 15, and
    // cutime and cstime (its waited-for children's) 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number);
    return (utime! + stime! + cutime! + cstime!) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** Resident set size of `pid` in bytes, or NaN. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb === undefined ? NaN : Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

/** Context switches of one thread so far (see `contextSwitches`). */
interface Switches {
  wakeUps: number;
  preemptions: number;
}

/** Each live thread's context switches, by thread id; empty when `pid` cannot be read. */
function threadSwitches(pid: number): Map<string, Switches> {
  const threads = new Map<string, Switches>();
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const task of tasks) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
    } catch {
      continue; // ended since the listing
    }
    threads.set(task, {
      wakeUps: Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
      preemptions: Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN),
    });
  }
  return threads;
}

/**
 * Context switches of `pid`'s threads since `before` (a `threadSwitches` reading; none: since
 * each thread began): `wakeUps`, how often one went to sleep to wait (for a socket, a disk's
 * fsync, a lock) and was woken again; `preemptions`, how often one was taken off its CPU while it
 * could still run (another process's turn). Summed over the threads alive now, each from its own
 * earlier reading, so a thread that ended in between is left out rather than making the sum
 * fall (the JVM starts and ends threads as it goes); its children (Redis's AOF rewrite) are not
 * counted. NaN when `pid` cannot be read.
 */
export function contextSwitches(
  pid: number,
  before: ReadonlyMap<string, Switches> = new Map(),
): Switches {
  const now = threadSwitches(pid);
  if (now.size === 0) return { wakeUps: NaN, preemptions: NaN };
  let wakeUps = 0;
  let preemptions = 0;
  for (const [tid, { wakeUps: w, preemptions: p }] of now) {
    // A count below its earlier reading is a new thread that took an ended one's id: all its own.
    const start = before.get(tid);
    const from =
      start !== undefined && w >= start.wakeUps && p >= start.preemptions ? start : undefined;
    wakeUps += w - (from?.wakeUps ?? 0);
    preemptions += p - (from?.preemptions ?? 0);
  }
  return { wakeUps, preemptions };
}

export interface ProcessUsage {
  name: string;
  cpuSeconds: number;
  peakRssBytes: number;
  /** Over the phase, see `contextSwitches`. */
  wakeUps: number;
  preemptions: number;
}

export interface UsageSampler {
  stop(): ProcessUsage[];
}

/** Starts sampling `processes` (name → pid); `stop` returns CPU used and peak RSS of each. */
export function sampleUsage(processes: Record<string, number>, intervalMs = 200): UsageSampler {
  const entries = Object.entries(processes);
  const cpuStart = new Map(entries.map(([name, pid]) => [name, cpuSeconds(pid)]));
  const switchesStart = new Map(entries.map(([name, pid]) => [name, threadSwitches(pid)]));
  const peak = new Map(entries.map(([name, pid]) => [name, rssBytes(pid)]));
  const sample = (): void => {
    for (const [name, pid] of entries) {
      const rss = rssBytes(pid);
      const before = peak.get(name);
      if (Number.isFinite(rss) && !(before !== undefined && before >= rss)) peak.set(name, rss);
    }
  };
  const timer = setInterval(sample, intervalMs);
  // A watcher: a run that ends without stopping it (its error path) must still exit.
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return entries.map(([name, pid]) => {
        const before = switchesStart.get(name);
        const switches =
          before === undefined || before.size === 0
            ? { wakeUps: NaN, preemptions: NaN }
            : contextSwitches(pid, before);
        return {
          name,
          cpuSeconds: cpuSeconds(pid) - (cpuStart.get(name) ?? NaN),
          peakRssBytes: peak.get(name) ?? NaN,
          ...switches,
        };
      });
    },
  };
}
