/** Peak resident memory of processes, sampled from /proc while a scenario runs (Linux). */
import { readFile } from 'node:fs/promises';

export interface MemoryWatch {
  /** Peak RSS per name, bytes. */
  stop(): Map<string, number>;
}

async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined; // exited meanwhile
  }
}

/** Samples every `intervalMs` the RSS of the processes `pids()` names (it may change). */
export function watchMemory(pids: () => Map<string, number>, intervalMs = 1000): MemoryWatch {
  const peaks = new Map<string, number>();
  const timer = setInterval(() => {
    for (const [name, pid] of pids()) {
      void rssBytes(pid).then((rss) => {
        if (rss !== undefined) peaks.set(name, Math.max(peaks.get(name) ?? 0, rss));
      });
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peaks;
    },
  };
}
