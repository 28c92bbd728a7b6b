import { describe, expect, it } from 'vitest';
import { formatStatus, type StatusSnapshot } from './status.ts';

const NOW = Date.parse('2026-11-24T12:00:00.000Z');

function backlog(lane: number, waiting: number, oldestWaitingAgeMs?: number, paused = false) {
  return { lane, waiting, active: 0, failed: 0, oldestWaitingAgeMs, paused };
}

function minute(delivered: number, failed: number) {
  return { minute: NOW, delivered, failed };
}

function group(reason: string, count: number) {
  return { reason, count, newest: { lane: 0, jobId: 'j' } };
}

describe('the status screen', () => {
  it('shows an idle system in a few lines', () => {
    const snapshot: StatusSnapshot = {
      redisUrl: 'redis://:hunter2@127.0.0.1:6379',
      prefix: 'commitlog',
      backlogs: [backlog(0, 0), backlog(1, 0)],
      held: [],
      failedByReason: [],
      stalls: [],
      rates: [minute(0, 0), minute(0, 0)],
    };
    expect(formatStatus(snapshot, NOW)).toEqual([
      'commitlog status  2026-11-24 12:00:00Z  redis redis://:***@127.0.0.1:6379  prefix commitlog',
      '',
      'lanes 2  waiting 0  active 0  failed 0  oldest waiting -',
      'last 2 min: delivered 0 (0 this minute)  failed 0 (0 this minute)',
      '',
      'held lanes (0): none',
      '',
      'failed by reason: none',
      '',
      'last 10 stalls: none',
    ]);
  });

  it('counts the recorded lanes, saying how many more were read for a larger LANES here', () => {
    const snapshot: StatusSnapshot = {
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'p',
      backlogs: [0, 1, 2, 3].map((lane) => backlog(lane, lane === 3 ? 1 : 0)),
      held: [],
      failedByReason: [],
      stalls: [],
      rates: [],
      laneCount: { configured: 4, recorded: 2, holding: [{ lane: 3, pending: 1, failed: 0 }] },
    };
    expect(formatStatus(snapshot, NOW)[2]).toBe(
      'lanes 2 (4 read)  waiting 1  active 0  failed 0  oldest waiting -',
    );
    const same = { ...snapshot, laneCount: { configured: 4, recorded: 4, holding: [] } };
    expect(formatStatus(same, NOW)[2]).toMatch(/^lanes 4 {2}waiting 1/);
  });

  it('lists held lanes, failures by reason and stalls in aligned columns', () => {
    const snapshot: StatusSnapshot = {
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'p',
      backlogs: [
        { lane: 0, waiting: 3, active: 1, failed: 2, oldestWaitingAgeMs: 5_000, paused: false },
        backlog(1, 1, 65_000),
      ],
      held: [
        {
          lane: 1,
          jobId: 'job-a',
          attempt: 4,
          lastError: 'broker down',
          nextTryAt: NOW + 2_000,
          heldSince: NOW - 63_000,
        },
      ],
      failedByReason: [
        { ...group('expired', 12), newestAt: NOW - 3_000, oldestAt: NOW - 7_200_000 },
        { ...group('too-large', 1), newestAt: NOW - 60_000, oldestAt: NOW - 60_000 },
      ],
      rates: [minute(100, 1), minute(20, 0)],
      stalls: [
        { lane: 0, jobId: 'job-b', at: NOW - 10_000, worker: 'pod-1:7', state: 'delivered' },
        { lane: 3, jobId: 'job-c', at: NOW - 20_000, worker: undefined, state: 'unknown' },
      ],
    };
    expect(formatStatus(snapshot, NOW).slice(2)).toEqual([
      'lanes 2  waiting 4  active 1  failed 2  oldest waiting 1m 5s',
      'last 2 min: delivered 120 (20 this minute)  failed 1 (0 this minute)',
      '',
      'held lanes (1):',
      '  LANE  JOB    ATTEMPT  LAST ERROR   NEXT TRY IN  HELD FOR',
      '  1     job-a  4        broker down  2s           1m 3s',
      '',
      'failed by reason:',
      '  REASON     COUNT  NEWEST  OLDEST',
      '  expired    12     3s ago  2h ago',
      '  too-large  1      1m ago  1m ago',
      '',
      'last 10 stalls:',
      '  WHEN                  LANE  JOB    WORKER   STATE NOW',
      '  2026-11-24 11:59:50Z  0     job-b  pod-1:7  delivered',
      '  2026-11-24 11:59:40Z  3     job-c  -        unknown',
    ]);
  });

  it('names the lanes paused on the dashboard, with what waits behind them', () => {
    const snapshot: StatusSnapshot = {
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'p',
      backlogs: [backlog(0, 0, undefined, true), backlog(1, 9, 1_000), backlog(2, 4, 2_000, true)],
      held: [],
      failedByReason: [],
      stalls: [],
      rates: [minute(0, 0)],
    };
    expect(formatStatus(snapshot, NOW).slice(2, 5)).toEqual([
      'lanes 3  waiting 13  active 0  failed 0  oldest waiting 2s',
      'last 1 min: delivered 0 (0 this minute)  failed 0 (0 this minute)',
      'PAUSED lanes (2): 0, 2; they deliver nothing (4 waiting) until resumed on the dashboard (Bull Board)',
    ]);
  });
});
