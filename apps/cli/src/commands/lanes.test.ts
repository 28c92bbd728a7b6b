import { laneOf } from '@commitlog/core';
import { describe, expect, it } from 'vitest';
import { formatLaneCount } from '../lane-count-report.ts';
import {
  formatKeyLane,
  formatLanes,
  lanesShown,
  parseKeyArgument,
  parseLanesArgs,
  unrecordedLaneCountLine,
} from './lanes.ts';

describe('the lane count lines', () => {
  it('says whether a change of LANES would be allowed now', () => {
    expect(formatLaneCount({ configured: 16, recorded: undefined, holding: [] })).toEqual([
      'lane count: none recorded yet (the first ingest or worker records LANES=16)',
    ]);
    expect(formatLaneCount({ configured: 16, recorded: 16, holding: [] })).toEqual([
      'lane count: 16 recorded (LANES=16 here)',
      'changing LANES: allowed now (no lane holds commits)',
    ]);
    expect(
      formatLaneCount({
        configured: 8,
        recorded: 16,
        holding: [
          { lane: 2, pending: 3, failed: 0 },
          { lane: 9, pending: 1, failed: 2 },
        ],
      }),
    ).toEqual([
      'lane count: 16 recorded, but LANES=8 here',
      'changing LANES: refused now, 2 lanes hold 4 commits waiting or in delivery (stop the ingests and let the workers deliver them; README, "Changing the number of lanes")',
    ]);
    expect(
      formatLaneCount({
        configured: 16,
        recorded: 16,
        holding: [{ lane: 9, pending: 0, failed: 2 }],
      }),
    ).toEqual([
      'lane count: 16 recorded (LANES=16 here)',
      'changing LANES: allowed now to 10 or more; below that refused while lane 9 holds failed deliveries (re-drive them, or wait for FAILED_RETENTION)',
    ]);
  });
});

describe('commitlog lanes', () => {
  it('shows each lane with its slot and node, and lanes per primary of a cluster', () => {
    const lines = formatLanes({
      redisUrl: 'redis-cluster://:pw@127.0.0.1:7000',
      prefix: 'commitlog',
      laneCount: { configured: 2, recorded: 2, holding: [] },
      locations: [
        { lane: 0, queue: '{lane-0000}', slot: 100, node: '127.0.0.1:7000' },
        { lane: 1, queue: '{lane-0001}', slot: 9000, node: '127.0.0.1:7001' },
      ],
      backlogs: [
        { lane: 1, waiting: 5, active: 1, failed: 0, oldestWaitingAgeMs: 10, paused: true },
      ],
    });
    expect(lines).toEqual([
      'commitlog lanes  redis redis-cluster://:***@127.0.0.1:7000  prefix commitlog',
      'lane count: 2 recorded (LANES=2 here)',
      'changing LANES: allowed now (no lane holds commits)',
      'Redis Cluster: lanes on 2 primaries: 127.0.0.1:7000 1, 127.0.0.1:7001 1',
      '',
      'LANE  QUEUE        SLOT  NODE            WAITING  ACTIVE  FAILED  PAUSED',
      '0     {lane-0000}  100   127.0.0.1:7000  0        0       0       -',
      '1     {lane-0001}  9000  127.0.0.1:7001  5        1       0       yes',
    ]);
  });

  it("covers this shell's LANES past a lower recorded count, as status and redrive do", () => {
    // LANES=16 here, 4 recorded after a change: a commit left in lane 9 must show.
    expect(lanesShown({ configured: 16, recorded: 4, holding: [] })).toHaveLength(16);
    expect(lanesShown({ configured: 4, recorded: 16, holding: [] })).toHaveLength(16);
    expect(lanesShown({ configured: 8, recorded: undefined, holding: [] })).toHaveLength(8);
  });

  it('marks the lanes past the recorded count, and says what that means', () => {
    const lines = formatLanes({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'commitlog',
      laneCount: { configured: 3, recorded: 2, holding: [] },
      locations: [0, 1, 2].map((lane) => ({
        lane,
        queue: `{lane-000${lane}}`,
        slot: undefined,
        node: '127.0.0.1:6379',
      })),
      backlogs: [
        { lane: 2, waiting: 1, active: 0, failed: 0, oldestWaitingAgeMs: 10, paused: false },
      ],
    });
    expect(lines).toEqual([
      'commitlog lanes  redis redis://127.0.0.1:6379  prefix commitlog',
      'lane count: 2 recorded, but LANES=3 here',
      'changing LANES: allowed now (no lane holds commits)',
      'one Redis (not a cluster): every lane on it',
      '',
      'LANE  QUEUE        SLOT  NODE            WAITING  ACTIVE  FAILED  PAUSED',
      '0     {lane-0000}  -     127.0.0.1:6379  0        0       0       -',
      '1     {lane-0001}  -     127.0.0.1:6379  0        0       0       -',
      '2*    {lane-0002}  -     127.0.0.1:6379  1        0       0       -',
      '* past the 2 lanes recorded, shown for LANES=3 here: only a worker still on an earlier count reads them (README, "Changing the number of lanes")',
    ]);
  });

  it("says that a key's lane came from LANES when no count is recorded under the prefix", () => {
    expect(unrecordedLaneCountLine('comitlog', 16)).toBe(
      'note: no lane count is recorded under QUEUE_PREFIX "comitlog" on this Redis (no ingest or worker ran with it; check QUEUE_PREFIX and the database in REDIS_URL): the lane was computed from LANES=16 here',
    );
  });

  it('reads a key as TYPE/BUCKET/KEY or BUCKET/KEY', () => {
    expect(parseKeyArgument('maps/users/a/b')).toEqual({
      bucketType: 'maps',
      bucket: 'users',
      key: 'a/b',
    });
    expect(parseKeyArgument('users/u1')).toEqual({
      bucketType: 'default',
      bucket: 'users',
      key: 'u1',
    });
    expect(() => parseKeyArgument('justkey')).toThrow(/TYPE\/BUCKET\/KEY/);
    // No empty key, as the JSON form says; a key may end with a slash.
    expect(() => parseKeyArgument('b/')).toThrow('lanes --key: key: must not be empty');
    expect(() => parseKeyArgument('a/b/')).toThrow('lanes --key: key: must not be empty');
    expect(parseKeyArgument('a/b/k/')).toMatchObject({ bucket: 'b', key: 'k/' });
  });

  it("reads a key as JSON in a commit's forms, for bytes that are not UTF-8 or hold a slash", () => {
    const binary = parseKeyArgument('{"bucket": "a/b", "key": {"base64": "/w=="}}');
    expect(binary).toEqual({ bucketType: 'default', bucket: 'a/b', key: { base64: '/w==' } });
    // Bytes, not forms: the lane is the one the ingest gives the same bytes as text.
    expect(
      laneOf(parseKeyArgument('{"bucketType":"t","bucket":"b","key":{"base64":"aw=="}}'), 16),
    ).toBe(laneOf(parseKeyArgument('t/b/k'), 16));
    expect(() => parseKeyArgument('{"bucket": "b", "key": {"base64": "!"}}')).toThrow(
      /^lanes --key: key.base64: not valid base64$/,
    );
    expect(() => parseKeyArgument('{"bucket": "b"}')).toThrow(/^lanes --key: key: is required$/);
    expect(() => parseKeyArgument('{"bucket": "b", "key": "k", "op": "put"}')).toThrow(
      /^lanes --key: op: unknown field$/,
    );
    expect(() => parseKeyArgument('{"bucket": ')).toThrow(/^lanes --key: not valid JSON \(/);
  });

  it('takes --key as two words or with =, as redrive takes its flags', () => {
    expect(parseLanesArgs([])).toEqual({});
    expect(parseLanesArgs(['--key', 'a/b'])).toEqual({ key: 'a/b' });
    expect(parseLanesArgs(['--key=a/b=c'])).toEqual({ key: 'a/b=c' });
    expect(() => parseLanesArgs(['--key='])).toThrow(/^lanes: --key needs a value/);
    expect(() => parseLanesArgs(['--key', 'a/b', '--key=c/d'])).toThrow(/--key given twice/);
    expect(() => parseLanesArgs(['--kye=a/b'])).toThrow(/^lanes: unknown argument "--kye=a\/b"/);
  });

  it('prints a key as it read it, so that a slash taken for the bucket type shows', () => {
    expect(
      formatKeyLane(parseKeyArgument('users/a/b'), 5, 16, {
        queue: '{lane-0005}',
        slot: 1234,
        node: '10.0.0.7:6379',
      }),
    ).toEqual([
      'bucket type "users", bucket "a", key "b" -> lane 5 of 16 ({lane-0005}, slot 1234, on 10.0.0.7:6379)',
    ]);
    expect(formatKeyLane(parseKeyArgument('users/a'), 1, 16, undefined)).toEqual([
      'bucket type "default", bucket "users", key "a" -> lane 1 of 16 (?, on ?)',
    ]);
    expect(
      formatKeyLane(parseKeyArgument('{"bucket":"b","key":{"base64":"/w=="}}'), 1, 16, undefined),
    ).toEqual([
      'bucket type "default", bucket "b", key {"base64":"/w=="} -> lane 1 of 16 (?, on ?)',
    ]);
  });

  it('says that a log\'s "base64:" form is read as text, and how to give bytes', () => {
    const lines = formatKeyLane(parseKeyArgument('b/base64:AP8='), 1, 16, undefined);
    expect(lines[0]).toBe(
      'bucket type "default", bucket "b", key "base64:AP8=" -> lane 1 of 16 (?, on ?)',
    );
    expect(lines[1]).toMatch(
      /^note: "base64:…" was read as text; .* --key '\{"bucket": "b", "key": \{"base64": "…"\}\}'$/,
    );
  });
});
