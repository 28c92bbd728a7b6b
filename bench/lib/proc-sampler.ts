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

/**
 * Context switches of all of `pid`'s threads so far: `wakeUps`, how often one went to sleep to
 * wait (for a socket, a disk, a lock) and was woken again; `preemptions`, how often one was taken
 * off its CPU while it could still run (another process's turn). NaN when it cannot be read.
 * Threads that ended are not counted: a figure over a phase is a rough one for a process that
 * starts and ends threads (the JVM), a close one for Node and Redis.
 */
export function contextSwitches(pid: number): { wakeUps: number; preemptions: number } {
  try {
    let wakeUps = 0;
    let preemptions = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      let status: string;
      try {
        status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
      } catch {
        continue; // ended since the listing
      }
      wakeUps += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
      preemptions += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? NaN);
    }
    return { wakeUps, preemptions };
  } catch {
    return { wakeUps: NaN, preemptions: NaN };
  }
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
  const switchesStart = new Map(entries.map(([name, pid]) => [name, contextSwitches(pid)]));
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
        const switches = contextSwitches(pid);
        const before = switchesStart.get(name);
        return {
          name,
          cpuSeconds: cpuSeconds(pid) - (cpuStart.get(name) ?? NaN),
          peakRssBytes: peak.get(name) ?? NaN,
          wakeUps: switches.wakeUps - (before?.wakeUps ?? NaN),
          preemptions: switches.preemptions - (before?.preemptions ?? NaN),
        };
      });
    },
  };
}
