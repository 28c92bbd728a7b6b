import { describe, expect, it } from 'vitest';
import { commitId } from './commit-id.ts';
import type { Commit } from './commit-schema.ts';
import type { RiakBinary } from './riak-binary.ts';
import { designExample } from './fixtures/design-example.ts';
import { parseCommit } from './parse-commit.ts';

const withVclock = parseCommit(designExample());
const withoutVclock: Commit = { ...withVclock };
delete withoutVclock.vclock;

describe('commitId', () => {
  it('is 64 lowercase hex characters, the same for the same commit', () => {
    expect(commitId(withVclock)).toMatch(/^[0-9a-f]{64}$/);
    expect(commitId(parseCommit(designExample()))).toBe(commitId(withVclock));
  });

  // Computed by a separate implementation of the derivation documented in commit-id.ts (Python's
  // hashlib). If these change, every deployed commit id changes: retried posts stop being
  // recognised as duplicates.
  it('matches the documented derivation (regression vectors)', () => {
    expect(commitId(withVclock)).toBe(
      '216779615c6820333f75c9530a510d754a8e58a84aa66956d74a0c35a64da639',
    );
    expect(commitId(withoutVclock)).toBe(
      '5cd8a203ba3e65006b0caaf95ac57fd8d14b8c24fa82c93449a6729e2fbee7b4',
    );
  });

  it('with a vclock, changes with every identifying field', () => {
    const id = commitId(withVclock);
    const variants: Commit[] = [
      { ...withVclock, bucketType: 'other' },
      { ...withVclock, bucket: 'other' },
      { ...withVclock, key: 'txn-124' },
      { ...withVclock, op: 'delete' },
      { ...withVclock, vclock: 'a85hYGBgzGDKBVIcypz/fgaUHjmdwZTImMfKwPSx' },
    ];
    const ids = variants.map(commitId);
    expect(new Set([id, ...ids]).size).toBe(variants.length + 1);
  });

  it('tells apart two writes that carry the same vclock (last-write-wins blind puts)', () => {
    // A blind put in a last_write_wins bucket gets a fresh clock of its vnode and the time in
    // whole seconds: two writes to one key in the same second can carry the same vclock.
    const pending = parseCommit({
      ...designExample(),
      siblings: [{ value: Buffer.from('{"state":"pending"}').toString('base64'), vtag: 'v-1' }],
    });
    const captured = parseCommit({
      ...designExample(),
      siblings: [{ value: Buffer.from('{"state":"captured"}').toString('base64'), vtag: 'v-2' }],
    });
    expect(pending.vclock).toBe(captured.vclock);
    expect(commitId(pending)).not.toBe(commitId(captured));
    // The same write posted again (a hook retrying) is the same commit.
    expect(commitId(parseCommit(JSON.parse(JSON.stringify(pending)) as unknown))).toBe(
      commitId(pending),
    );
    expect(commitId({ ...withVclock, siblings: [{ value: 'AA==' }] })).not.toBe(
      commitId(withVclock),
    );
  });

  it('without a vclock, changes with anything in the commit', () => {
    const sibling = withoutVclock.siblings[0]!;
    const variants: Commit[] = [
      { ...withoutVclock, key: 'txn-124' },
      { ...withoutVclock, op: 'delete' },
      { ...withoutVclock, siblings: [] },
      { ...withoutVclock, siblings: [sibling, sibling] },
      { ...withoutVclock, siblings: [{ ...sibling, value: 'eyJhbW91bnQiOjEwMX0=' }] },
      { ...withoutVclock, siblings: [{ ...sibling, contentType: undefined }] },
      { ...withoutVclock, siblings: [{ ...sibling, contentType: '' }] },
      { ...withoutVclock, siblings: [{ ...sibling, vtag: 'x' }] },
      { ...withoutVclock, siblings: [{ ...sibling, lastModified: '2026-11-24T12:00:00Z' }] },
      { ...withoutVclock, siblings: [{ ...sibling, usermeta: { origin: 'batch' } }] },
      { ...withoutVclock, siblings: [{ ...sibling, usermeta: { origin: 'api', x: '' } }] },
      { ...withoutVclock, siblings: [{ ...sibling, indexes: { customer_bin: ['c-8'] } }] },
      { ...withoutVclock, siblings: [{ ...sibling, indexes: { customer_bin: [9] } }] },
      { ...withoutVclock, siblings: [{ ...sibling, indexes: { customer_int: ['c-9'] } }] },
    ];
    const ids = [withoutVclock, ...variants].map(commitId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('does not depend on the order of map keys, but on the order of siblings and index values', () => {
    const a = { value: '', usermeta: { x: '1', y: '2' }, indexes: { a_bin: ['1'], b_bin: ['2'] } };
    const b = { value: '', usermeta: { y: '2', x: '1' }, indexes: { b_bin: ['2'], a_bin: ['1'] } };
    const base = { ...withoutVclock, op: 'put' as const };
    expect(commitId({ ...base, siblings: [a] })).toBe(commitId({ ...base, siblings: [b] }));
    const c = { value: 'AA==' };
    expect(commitId({ ...base, siblings: [a, c] })).not.toBe(
      commitId({ ...base, siblings: [c, a] }),
    );
    const d = { value: '', indexes: { a_int: [1, 2] } };
    const e = { value: '', indexes: { a_int: [2, 1] } };
    expect(commitId({ ...base, siblings: [d] })).not.toBe(commitId({ ...base, siblings: [e] }));
  });

  it('keeps fields from running together', () => {
    const one: Commit = { ...withVclock, bucket: 'ab', key: 'c' };
    const two: Commit = { ...withVclock, bucket: 'a', key: 'bc' };
    expect(commitId(one)).not.toBe(commitId(two));
  });

  it('counts binaries by their bytes: the string and {base64} forms give the same id', () => {
    const asBase64: Commit = {
      ...withVclock,
      bucketType: { base64: Buffer.from('default').toString('base64') },
      bucket: { base64: Buffer.from('transactions').toString('base64') },
      key: { base64: Buffer.from('txn-123').toString('base64') },
    };
    expect(commitId(asBase64)).toBe(commitId(withVclock));
    expect(commitId({ ...asBase64, vclock: undefined })).toBe(commitId(withoutVclock));
  });

  it('counts metadata texts by their bytes too, so a {base64} one is not its base64 text', () => {
    const b64 = (text: string) => ({ base64: Buffer.from(text).toString('base64') });
    const [sibling] = withVclock.siblings;
    const asBase64: Commit = {
      ...withVclock,
      siblings: [
        {
          ...sibling!,
          contentType: b64('application/json'),
          vtag: b64('6dGz2BZ3yRlKBkhwVu1Sju'),
          usermeta: { origin: b64('api') },
          indexes: { customer_bin: [b64('c-9')] },
        },
      ],
    };
    expect(commitId(asBase64)).toBe(commitId(withVclock));
    // Bytes that are not UTF-8, and the text of their base64, are different commits.
    const raw = (value: RiakBinary): Commit => ({
      ...withVclock,
      siblings: [{ ...sibling!, usermeta: { origin: value } }],
    });
    expect(commitId(raw({ base64: '/w==' }))).not.toBe(commitId(raw('/w==')));
  });

  describe('with a tombstone sibling (deleted: true)', () => {
    const tombstone = { value: '', vtag: 't-1', lastModified: '2026-11-24T12:00:01Z' };

    it('leaves the id of every commit without the field as it was', () => {
      // The vectors above have no tombstone; nor has this one (the same empty sibling, not
      // marked), computed before the field existed: ids already handed out must not move.
      const unmarked = { ...withVclock, siblings: [withVclock.siblings[0]!, tombstone] };
      expect(commitId(unmarked)).toBe(
        '756869eaf2c3c002d26f3dd9bb7ce64fb0a579756ae606764daabccec609ba86',
      );
    });

    // Computed by the same separate implementation (Python's hashlib) as the vectors above.
    it('matches the documented derivation (regression vectors)', () => {
      const siblings = [withVclock.siblings[0]!, { ...tombstone, deleted: true as const }];
      expect(commitId({ ...withVclock, siblings })).toBe(
        '9b3844de1fb62b0079f6b3abb9a2e24b621f9277d131f8d36eae4e0084b4bc69',
      );
      expect(commitId({ ...withoutVclock, siblings })).toBe(
        '3d46b87f92fc5cdfbee9af1dec709ee66186638b5a06bc28ab923905fd0ef5f0',
      );
    });

    it('tells a tombstone from a live empty value, and which sibling is the tombstone', () => {
      const live = { value: '' };
      const dead = { value: '', deleted: true as const };
      for (const base of [withVclock, withoutVclock]) {
        const ids = [
          [live, live],
          [dead, live],
          [live, dead],
          [dead, dead],
        ].map((siblings) => commitId({ ...base, op: 'put', siblings }));
        expect(new Set(ids).size, base.vclock ?? 'body').toBe(ids.length);
      }
    });
  });

  describe('with a content encoding (contentEncoding)', () => {
    const gzip = { ...withVclock.siblings[0]!, contentEncoding: 'gzip' };
    const tombstone = {
      value: '',
      vtag: 't-1',
      lastModified: '2026-11-24T12:00:01Z',
      deleted: true as const,
    };

    // Computed by a separate implementation (Python's hashlib) of the derivation documented in
    // commit-id.ts, which gave the vectors above as they are; ENC after TOMBS.
    it('matches the documented derivation (regression vectors)', () => {
      const siblings = [gzip, tombstone];
      expect(commitId({ ...withVclock, siblings })).toBe(
        '39ce99a45e3803c1bed27b947cf15836c3b4bcaaa0036194e33ae45b8fcd34c0',
      );
      expect(commitId({ ...withoutVclock, siblings })).toBe(
        '2aef861f3485bbe55033454dbee2b23dd0aa3fbbd214f4ca5b3e95bc44fdde9a',
      );
    });

    it('tells commits apart by it, by its text and by which sibling has it', () => {
      const plain = withVclock.siblings[0]!;
      for (const base of [withVclock, withoutVclock]) {
        const ids = [
          [plain, plain],
          [gzip, plain],
          [plain, gzip],
          [{ ...plain, contentEncoding: 'br' }, plain],
        ].map((siblings) => commitId({ ...base, siblings }));
        expect(new Set(ids).size, base.vclock ?? 'body').toBe(ids.length);
      }
    });
  });

  it('gives a commit with a vclock and the same commit without one different ids', () => {
    // Not a pair whose hashed bytes would coincide without the forms' own prefixes (the vclock
    // form has a field more): that the prefixes keep the forms apart is by construction.
    const noSiblings: Commit = { ...withoutVclock, op: 'delete', siblings: [] };
    const emptyVclock: Commit = { ...noSiblings, vclock: 'AAAAAA==' };
    expect(commitId(noSiblings)).not.toBe(commitId(emptyVclock));
  });
});
