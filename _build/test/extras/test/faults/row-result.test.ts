// The checks of the fault rows can fail: a loss outside row 4c's window, a dead process, a hostile
// request answered 2xx, a row with neither a loss count nor checks of its own. No cluster: the
// rows' results are built by hand and handed to the same functions the rows use.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { proxyFault } from './fault-actions.ts';
import type { FaultCluster } from './fault-cluster.ts';
import type { LoadTally } from './fault-load.ts';
import type { DeliveryReport } from './fault-oracle.ts';
import { faultTable } from './fault-table.ts';
import { hostileRequests } from './hostile-requests.ts';
import {
  acceptedInside,
  rowResult,
  watchAlive,
  type HostileOutcome,
  type RowResult,
} from './row-result.ts';
import { handoffMicros } from './scenarios/hook-ingest-down.ts';
import { EVERYSEC_KILL_LOSS_MS, everysecLossWindow } from './scenarios/redis-outage.ts';
import { expectRowMet } from './short/short-row.ts';

const KILL_AT = 1_000_000;
const RESTART_AT = KILL_AT + 5_000;

/** A tally of commits `c<i>` answered at `answeredAt[i]`, and a report losing `lost` of them. */
function lossCase(
  answeredAt: number[],
  lost: number[],
): { tally: LoadTally; report: DeliveryReport } {
  const accepted = answeredAt.map((at, i) => ({
    id: `c${i}`,
    key: `k${i}`,
    generatedAt: at - 5,
    sentAt: at - 5,
    answeredAt: at,
    duplicate: false,
    tries: 1,
  }));
  const tally: LoadTally = {
    generated: accepted.length,
    accepted,
    refusals: new Map([[503, 10]]),
    abandoned: 0,
    perKey: new Map(accepted.map((a) => [a.key, [a.id]])),
  };
  const report: DeliveryReport = {
    accepted: accepted.length,
    delivered: accepted.length - lost.length,
    lost: lost.map((i) => `c${i}`),
    duplicates: 0,
    failed: 0,
    unfinished: 0,
    recoveryMs: undefined,
    orderProblems: [],
    staleCopies: [],
    keysWithDuplicates: new Set(),
    firstDeliveries: [],
  };
  return { tally, report };
}

const row4c = (answeredAt: number[], lost: number[]): RowResult => {
  const { tally, report } = lossCase(answeredAt, lost);
  return rowResult('4c', 'Redis kill -9 (AOF everysec)', tally, report, {
    lossWindow: everysecLossWindow(KILL_AT, RESTART_AT),
  });
};

describe('per-key order in every row', () => {
  it('fails on an old copy that landed after a newer commit of its key', () => {
    const { tally, report } = lossCase([KILL_AT - 60_000, KILL_AT - 50_000], []);
    report.staleCopies = ['key k0: commit #0 landed after #1, not replayed up to it'];
    expect(rowResult('2', 'worker kill -9', tally, report).problems).toEqual([
      'out of order: key k0: commit #0 landed after #1, not replayed up to it',
    ]);
  });

  it("leaves out a key that lost a commit inside row 4c's window", () => {
    // c1 (key k1) was answered just before the kill and lost with it: k1's last record is older.
    const { tally, report } = lossCase([KILL_AT - 60_000, KILL_AT - 100], [1]);
    report.staleCopies = ['key k1: last record is commit #0 of 2'];
    const result = rowResult('4c', 'Redis kill -9 (AOF everysec)', tally, report, {
      lossWindow: everysecLossWindow(KILL_AT, RESTART_AT),
    });
    expect(result.problems).toEqual([]);
  });
});

describe('row 4c: loss only inside the everysec window before the kill', () => {
  it('allows a commit answered just before the kill, and one answered while Redis died', () => {
    const result = row4c([KILL_AT - 10_000, KILL_AT - 1_000, KILL_AT + 20], [1, 2]);
    expect(result.problems).toEqual([]);
    expect({ lost: result.lost, lostAllowed: result.lostAllowed }).toEqual({
      lost: 2,
      lostAllowed: 2,
    });
    expect(() => expectRowMet(result)).not.toThrow();
  });

  it('fails on a commit answered long before the kill', () => {
    const result = row4c([KILL_AT - 10_000, KILL_AT - 1_000], [0, 1]);
    expect(result.problems).toEqual([
      '1 accepted commits lost not answered within 2.5 s before the kill -9, e.g. c0',
    ]);
    expect(result.lostAllowed).toBe(1);
    expect(() => expectRowMet(result)).toThrow();
  });

  it('fails on a commit answered just past the window', () => {
    const result = row4c([KILL_AT - EVERYSEC_KILL_LOSS_MS - 1], [0]);
    expect(result.problems).toHaveLength(1);
  });

  it('fails on a commit answered after Redis was started again', () => {
    const result = row4c([RESTART_AT + 100], [0]);
    expect(result.problems).toHaveLength(1);
    expect(result.lostAllowed).toBe(0);
  });

  it('fails on every lost commit, whatever its time, without a window (rows other than 4c)', () => {
    const { tally, report } = lossCase([KILL_AT - 100], [0]);
    const result = rowResult('4b', 'Redis kill -9 (AOF always)', tally, report);
    expect(result.problems).toEqual(['1 accepted commits lost, e.g. c0']);
    expect(result.lostAllowed).toBeUndefined();
    expect(() => expectRowMet({ ...result, problems: [] })).toThrow();
  });

  it('short form: a loss window is row 4c alone', () => {
    const result = row4c([KILL_AT - 1_000], [0]);
    expect(() => expectRowMet({ ...result, row: '4b' })).toThrow();
  });
});

describe('row 7a2, 7a3: no 2xx while the ingest cannot reach Redis', () => {
  it('takes a window inside the time the fault was on, and counts a 2xx made inside it', async () => {
    const calls: { kind: string; at: number }[] = [];
    const proxy = {
      setFault: (f: { kind: string }) => calls.push({ kind: f.kind, at: Date.now() }),
    };
    const action = proxyFault('ingestRedis', { kind: 'blackhole' }, 60);
    const cluster = { proxies: { ingestRedis: proxy } } as unknown as FaultCluster;
    await action.run(cluster, () => undefined);
    expect(calls.map((c) => c.kind)).toEqual(['blackhole', 'none']);
    expect(action.window.from).toBeGreaterThan(calls[0]!.at);
    expect(action.window.to).toBeLessThan(calls[1]!.at);
    const inside = lossCase([action.window.from + 10], []).tally;
    expect(acceptedInside(inside, [action.window])).toBe(1);
    const before = lossCase([action.window.from + 2], []).tally; // sent before the fault was on
    expect(acceptedInside(before, [action.window])).toBe(0);
  });
});

describe('a process that exited is not alive', () => {
  // The rows used to race the exited promise against an already-resolved `true`, which always
  // said alive: the resolved promise settles the race before the exited one's `.then` runs.
  it('watchAlive turns false after the exit', async () => {
    const child = spawn(process.execPath, ['-e', 'process.exit(3)'], { stdio: 'ignore' });
    const role = {
      exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
    };
    const alive = watchAlive(role);
    expect(alive()).toBe(true);
    expect(await role.exited).toBe(3);
    expect(alive()).toBe(false);
  });
});

describe('row 10: what it checks instead of a loss', () => {
  const good = (): HostileOutcome => ({
    requests: hostileRequests('s', 'b').map((r) => ({
      name: r.name,
      status: r.expect[0]!,
      expected: r.expect,
    })),
    slowClients: Array.from({ length: 20 }, () => '408'),
    valid: 202,
    replays: [202, 202],
    jobsStored: 1,
    ingestAlive: true,
    healthz: 200,
  });
  const row10 = (hostile?: HostileOutcome): RowResult => ({
    row: '10',
    fault: 'hostile input',
    accepted: undefined,
    delivered: undefined,
    lost: undefined,
    duplicates: undefined,
    failed: undefined,
    recoveryMs: undefined,
    notes: [],
    problems: [],
    ...(hostile ? { hostile } : {}),
  });

  it('passes when every check held', () => {
    expect(() => expectRowMet(row10(good()))).not.toThrow();
  });

  it.each<[string, (h: HostileOutcome) => void]>([
    ['a hostile request answered 202', (h) => (h.requests[3]!.status = 202)],
    ['a hostile request never sent', (h) => h.requests.pop()],
    ['a slowloris client never cut off', (h) => (h.slowClients[0] = 'open')],
    ['a hostile commit stored', (h) => (h.jobsStored = 2)],
    ['the valid commit refused', (h) => (h.valid = 503)],
    ['the ingest exited', (h) => (h.ingestAlive = false)],
    ['the ingest unhealthy', (h) => (h.healthz = 0)],
  ])('fails on %s', (_, spoil) => {
    const hostile = good();
    spoil(hostile);
    expect(() => expectRowMet(row10(hostile))).toThrow();
  });

  it('fails on a row with neither a loss count nor checks of its own', () => {
    expect(() => expectRowMet(row10())).toThrow(/neither a loss count nor its own checks/);
  });

  it('prints – for the loss it does not measure', () => {
    const line = faultTable([row10(good())]).split('\n')[2]!;
    expect(line.split('|').map((c) => c.trim())[5]).toBe('–');
  });
});

describe('row 11: the hand-off times the hook printed', () => {
  it('reads one duration per postcommit/1, ignoring the log lines around them', () => {
    const output =
      'hook log line\nhandoff-us 502311\nhandoff-us 41\n=WARNING REPORT==\nhook-run-done\n';
    expect(handoffMicros(output)).toEqual([502311, 41]);
  });
});
