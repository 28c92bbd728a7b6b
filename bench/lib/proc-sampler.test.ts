import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { contextSwitches, cpuSeconds } from './proc-sampler.ts';

describe('cpuSeconds', () => {
  it("counts the CPU of the children a process has waited for, as Redis's AOF rewrite", async () => {
    // The shell forks a subshell that counts (CPU), waits for it, then says so and sleeps.
    const shell = spawn('sh', [
      '-c',
      '(i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done); echo reaped; sleep 5',
    ]);
    try {
      await once(shell.stdout, 'data');
      // The shell itself did next to nothing; its child's counting is on its account now, as
      // more than the shell's own ticks (utime and stime of /proc/<pid>/stat).
      const stat = readFileSync(`/proc/${shell.pid!}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ownTicks = Number(fields[11]) + Number(fields[12]);
      expect(cpuSeconds(shell.pid!) * 100).toBeGreaterThan(ownTicks);
    } finally {
      shell.kill();
    }
  });
});

describe('contextSwitches', () => {
  it("counts each time a process's threads slept and were woken", async () => {
    // The shell waits for each of its 20 `sleep`s: at least one wake-up apiece.
    const shell = spawn('sh', [
      '-c',
      'i=0; while [ $i -lt 20 ]; do sleep 0.01; i=$((i+1)); done; echo slept; sleep 5',
    ]);
    try {
      await once(shell.stdout, 'data');
      const { wakeUps, preemptions } = contextSwitches(shell.pid!);
      expect(wakeUps).toBeGreaterThanOrEqual(20);
      expect(preemptions).toBeGreaterThanOrEqual(0);
    } finally {
      shell.kill();
    }
  });

  it('counts each thread from its own earlier reading, and leaves out threads that ended', async () => {
    const shell = spawn('sh', ['-c', 'sleep 0.01; echo slept; sleep 5']);
    try {
      await once(shell.stdout, 'data');
      const first = contextSwitches(shell.pid!);
      // A thread read before that has ended since (a JVM's compiler thread, say): not a fall.
      const gone = new Map([['4194000', { wakeUps: 1e6, preemptions: 1e6 }]]);
      const withGone = contextSwitches(shell.pid!, gone);
      // The shell's own thread, from the first reading: what it did since, never less than 0.
      const since = contextSwitches(shell.pid!, new Map([[String(shell.pid), first]]));
      // An id read before with higher counts is a new thread that took an ended one's id.
      const reused = contextSwitches(
        shell.pid!,
        new Map([[String(shell.pid), { wakeUps: 1e9, preemptions: 1e9 }]]),
      );
      const last = contextSwitches(shell.pid!);
      expect(reused.wakeUps).toBeGreaterThanOrEqual(first.wakeUps);
      expect(reused.wakeUps).toBeLessThanOrEqual(last.wakeUps);
      expect(withGone.wakeUps).toBeGreaterThanOrEqual(first.wakeUps);
      expect(withGone.wakeUps).toBeLessThanOrEqual(last.wakeUps);
      expect(since.wakeUps).toBeGreaterThanOrEqual(0);
      expect(since.wakeUps).toBeLessThanOrEqual(last.wakeUps - first.wakeUps);
      expect(since.preemptions).toBeGreaterThanOrEqual(0);
    } finally {
      shell.kill();
    }
  });

  it('is NaN for a process that is gone', () => {
    expect(contextSwitches(2 ** 22 + 1)).toEqual({ wakeUps: NaN, preemptions: NaN });
  });
});
