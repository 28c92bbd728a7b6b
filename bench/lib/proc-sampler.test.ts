import { spawn } from 'node:child_process';
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
      // The shell itself did next to nothing; its child's counting is on its account now.
      expect(cpuSeconds(shell.pid!)).toBeGreaterThan(0.05);
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

  it('is NaN for a process that is gone', () => {
    expect(contextSwitches(2 ** 22 + 1)).toEqual({ wakeUps: NaN, preemptions: NaN });
  });
});
