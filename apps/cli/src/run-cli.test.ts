import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('keeps an error one line when an argument holds a new line or a terminal escape', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['bo\ngus\u001b[2J'], {})).toBe(2);
    // Each of these messages quotes the argument: a usage mistake, and a file that is not there.
    expect(await runCli(['status', 'x\ny'], {})).toBe(2);
    expect(await runCli(['post', 'no-such\nfile.json'], {})).toBe(1);
    const lines = stderr.mock.calls.map((call) => String(call[0]));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      'commitlog: unknown command "bo\\ngus\\u001b[2J" (try: commitlog help)\n',
    );
    expect(lines[1]).toBe('commitlog: status takes no arguments, got: x\\ny\n');
    expect(lines[2]).toContain('no-such\\nfile.json');
    for (const line of lines) expect(line.indexOf('\n')).toBe(line.length - 1);
  });

  it('takes a flag given to post or requeue (-x or --x) for a usage mistake, not a file name', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['post', '--file=x.json'], {})).toBe(2);
    expect(await runCli(['requeue', '--log', 'x.log'], {})).toBe(2);
    // Single-dash too (`-f`, `-v`): a file of that name is `./-f`.
    expect(await runCli(['post', '-v'], {})).toBe(2);
    expect(await runCli(['requeue', '-f'], {})).toBe(2);
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog: post takes exactly one argument: the JSON file to post\n',
      'commitlog: requeue takes exactly one argument: the failure log\n',
      'commitlog: post takes exactly one argument: the JSON file to post\n',
      'commitlog: requeue takes exactly one argument: the failure log\n',
    ]);
  });

  it('takes an empty FILE (an unset variable) for a usage mistake that says so', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // Without it, the caller's directory was read as the file, or a file named nothing.
    const env = { COMMITLOG_CALLER_DIR: tmpdir() };
    expect(await runCli(['post', ''], env)).toBe(2);
    expect(await runCli(['requeue', ''], {})).toBe(2);
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual([
      'commitlog: post: FILE is empty (an unset variable?): give the JSON file to post\n',
      'commitlog: requeue: FILE is empty (an unset variable?): give the failure log\n',
    ]);
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
    // Nothing listens at this REDIS_URL: a connection tried first would fail with another line.
    expect(
      await runCli(['redrive', '--reasn', 'expired'], { REDIS_URL: 'redis://127.0.0.1:1' }),
    ).toBe(2);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toBe(
      'commitlog: redrive: unknown argument "--reasn"\n',
    );
  });

  it('exits 1 naming the bad variable when status is badly configured', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['status'], { LANES: 'many' })).toBe(1);
    // One line, as every CLI error (runtime's ConfigError writes its problems on one line).
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(
      /^commitlog: invalid configuration: LANES: must be an integer[^\n]*\n$/,
    );
  });

  it('exits 1 with one line naming INGEST_URL when post is given a URL it cannot use', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'run-cli-')), 'commit.json');
    writeFileSync(file, '{"bucket":"b","key":"k","op":"delete"}');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await runCli(['post', file], { INGEST_URL: 'notaurl' })).toBe(1);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]?.[0])).toMatch(
      /^commitlog: invalid configuration: INGEST_URL: must be an http:\/\/ or https:\/\/ URL [^\n]*\n$/,
    );
  });

  it.each([
    ['post', '--help', 'usage: commitlog post FILE ('],
    ['requeue', '--help', 'usage: commitlog requeue FILE ('],
    ['requeue', '-h', 'usage: commitlog requeue FILE ('],
    ['lanes', '--help', 'usage: commitlog lanes [--key TYPE/BUCKET/KEY]'],
    ['redrive', '--help', 'usage: commitlog redrive [--reason R]'],
    ['discard', '--help', 'usage: commitlog discard --job ID ('],
    ['up', '--help', 'usage: commitlog up ('],
    ['ingest', '-h', 'usage: commitlog ingest ('],
    ['worker', '--help', 'usage: commitlog worker ('],
    ['dashboard', '--help', 'usage: commitlog dashboard ('],
    ['status', '--help', 'usage: commitlog status ('],
    ['help', '--help', 'usage: commitlog <command>'],
  ])(
    'answers %s %s with its usage on stdout and exit code 0, not as an argument',
    async (c, flag, usage) => {
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      // Nothing listens at this REDIS_URL, and no role may start: help asks for neither.
      expect(await runCli([c, flag], { REDIS_URL: 'redis://127.0.0.1:1' })).toBe(0);
      expect(stderr).not.toHaveBeenCalled();
      expect(stdout).toHaveBeenCalledTimes(1);
      expect(String(stdout.mock.calls[0]?.[0]).startsWith(usage)).toBe(true);
    },
  );

  it('answers dashboard hash-password --help with its own usage, without reading a password', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await runCli(['dashboard', 'hash-password', '--help'], {})).toBe(0);
    expect(String(stdout.mock.calls[0]?.[0])).toMatch(
      /^usage: commitlog dashboard hash-password \(/,
    );
  });

  it.each(['post', 'requeue'])(
    'reads the file of %s from COMMITLOG_CALLER_DIR, where ./commitlog was run',
    async (command) => {
      const callerDir = mkdtempSync(join(tmpdir(), 'run-cli-caller-'));
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      expect(await runCli([command, 'missing.log'], { COMMITLOG_CALLER_DIR: callerDir })).toBe(1);
      expect(String(stderr.mock.calls[0]?.[0])).toBe(
        `commitlog: cannot read ${join(callerDir, 'missing.log')}: no such file\n`,
      );
    },
  );
});
