import { execFileSync } from 'node:child_process';

/** The pid of the process listening on a TCP port of this machine (e.g. the Kafka broker), via `ss`. */
export function listeningPid(port: number): number | undefined {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8' });
    const pid = /pid=(\d+)/.exec(out)?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
}
