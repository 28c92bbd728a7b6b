import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from './run-cli.ts';

describe('runCli', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses an unknown command with one readable line and exit code 2', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['frobnicate'], {})).toBe(2);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toBe(
      'commitlog: unknown command "frobnicate" (try: commitlog help)\n',
    );
  });

  it('prints usage for help and exits 0', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await runCli(['help'], {})).toBe(0);
    expect(String(stdout.mock.calls[0]?.[0])).toContain('usage: commitlog <command>');
  });

  it('refuses arguments to up', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['up', '--now'], {})).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toContain('up takes no arguments, got: --now');
  });

  it('refuses a bad redrive flag with one line and exit code 2, before touching Redis', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['redrive', '--reasn', 'expired'], {})).toBe(2);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toBe(
      'commitlog: redrive: unknown argument "--reasn"\n',
    );
  });

  it('exits 1 naming the bad variable when status is badly configured', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['status'], { LANES: 'many' })).toBe(1);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(
      /^commitlog: invalid configuration:\n {2}LANES: /,
    );
  });
});
