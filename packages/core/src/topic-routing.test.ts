import { describe, expect, it } from 'vitest';
import { CommitlogError, isRetriable } from './errors.ts';
import {
  defaultTopic,
  ForbiddenTopicError,
  isValidTopicName,
  parseRoutes,
  routeFor,
  type RouteRule,
} from './topic-routing.ts';
import { ValidationError } from './validation-error.ts';

describe('defaultTopic', () => {
  it('is riak.<bucketType>.<bucket>', () => {
    expect(defaultTopic('default', 'transactions')).toBe('riak.default.transactions');
    expect(defaultTopic('maps', 'Users_2026-v1.0')).toBe('riak.maps.Users_2026-v1.0');
  });

  it('replaces each character Kafka forbids with one "_"', () => {
    expect(defaultTopic('default', 'a b/c:d')).toBe('riak.default.a_b_c_d');
    expect(defaultTopic('typé', 'caf☕😀')).toBe('riak.typ_.caf__');
  });

  it('uses the hex of a binary that is not UTF-8, and the text of one that is', () => {
    expect(defaultTopic('default', { base64: '//4A' })).toBe('riak.default.fffe00');
    expect(defaultTopic({ base64: 'ZGVmYXVsdA==' }, 'b')).toBe('riak.default.b');
  });

  it('cuts a long name to 249 characters, keeping long names apart', () => {
    const long = 'x'.repeat(300);
    const a = defaultTopic('default', long);
    const b = defaultTopic('default', `${long}y`);
    expect(a).toHaveLength(249);
    expect(b).toHaveLength(249);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^riak\.default\.x+-[0-9a-f]{8}$/);
    expect(isValidTopicName(a)).toBe(true);
    expect(defaultTopic('default', 'x'.repeat(249 - 13))).toHaveLength(249); // fits: kept whole
    expect(defaultTopic('default', 'x'.repeat(249 - 13))).not.toContain('-');
  });
});

describe('isValidTopicName', () => {
  it('accepts 1 to 249 of [a-zA-Z0-9._-], except "." and ".."', () => {
    for (const ok of ['a', 'riak.default.b', 'A-Z_0.9', '...', 'x'.repeat(249)]) {
      expect(isValidTopicName(ok), ok).toBe(true);
    }
    for (const bad of ['', '.', '..', 'a b', 'a/b', 'é', 'x'.repeat(250)]) {
      expect(isValidTopicName(bad), bad).toBe(false);
    }
  });
});

describe('parseRoutes', () => {
  it('reads the rules of a routes file, in order', () => {
    const rules = parseRoutes({
      routes: [
        { bucketType: 'payments', bucket: 'ledger', topic: 'ledger.v1', envelope: true },
        { bucketType: 'payments', topic: 'payments.all' },
        { topic: 'everything' },
      ],
    });
    expect(rules.map((r) => r.topic)).toEqual(['ledger.v1', 'payments.all', 'everything']);
    expect(parseRoutes({ routes: [] })).toEqual([]);
  });

  it.each([
    [{ routes: [{ topic: 'ok' }, { topic: 'not ok' }] }, 'routes[1].topic'],
    [{ routes: [{ topic: '..' }] }, 'routes[0].topic'],
    [{ routes: [{ bucket: 'b' }] }, 'routes[0].topic'],
    [{ routes: [{ bucket: '', topic: 't' }] }, 'routes[0].bucket'],
    [{ routes: [{ topic: 't', envelope: 'yes' }] }, 'routes[0].envelope'],
    [{ routes: [{ topic: 't', partition: 3 }] }, 'routes[0].partition'],
    [{ routes: {} }, 'routes'],
    [{}, 'routes'],
    [[], ''],
  ])('refuses %j, naming %s', (input, path) => {
    let error: unknown;
    try {
      parseRoutes(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('INVALID_ROUTES');
    expect((error as ValidationError).path).toBe(path);
  });

  it('refuses what Kafka would only refuse at delivery: its internal names, two names it takes as one, a rule no commit reaches', () => {
    const refusal = (routes: RouteRule[]) => {
      try {
        parseRoutes({ routes });
      } catch (error) {
        return (error as ValidationError).message;
      }
      return undefined;
    };
    expect(refusal([{ bucket: 'x', topic: '__consumer_offsets' }])).toBe(
      'routes[0].topic: a name starting with "__" is for Kafka\'s internal topics',
    );
    expect(
      refusal([
        { bucket: 'a', topic: 'pay.events' },
        { bucket: 'b', topic: 'pay_events' },
      ]),
    ).toBe(
      'routes[1].topic: Kafka takes it as routes[0].topic ("." and "_" are one to it) and would not create both',
    );
    expect(
      refusal([
        { bucketType: 'payments', topic: 'p' },
        { bucketType: 'payments', bucket: 'refunds', topic: 'r' },
      ]),
    ).toBe(
      'routes[1]: no commit reaches it: routes[0] comes first and takes every commit it would (the first rule that matches wins)',
    );
    expect(refusal([{ topic: 'all' }, { bucket: 'b', topic: 'b' }])).toMatch(
      /^routes\[1\]: no commit/,
    );
    // Two buckets to one topic, and the narrower rule first, are fine.
    expect(
      refusal([
        { bucketType: 'payments', bucket: 'refunds', topic: 'r' },
        { bucketType: 'payments', topic: 'p' },
        { bucket: 'a', topic: 'p' },
        { topic: 'rest' },
      ]),
    ).toBeUndefined();
  });

  it('says what a topic name must be', () => {
    expect(() => parseRoutes({ routes: [{ topic: 'a b' }] })).toThrow(
      'routes[0].topic: not a valid Kafka topic name (1 to 249 of [a-zA-Z0-9._-], not "." or "..")',
    );
  });
});

describe('routeFor', () => {
  const rules: RouteRule[] = [
    { bucketType: 'payments', bucket: 'ledger', topic: 'ledger.v1', envelope: true },
    { bucketType: 'payments', topic: 'payments.all' },
    { bucket: 'audit', topic: 'audit' },
  ];

  it('takes the first rule that matches', () => {
    expect(routeFor({ bucketType: 'payments', bucket: 'ledger' }, rules)).toEqual({
      topic: 'ledger.v1',
      envelope: true,
    });
    expect(routeFor({ bucketType: 'payments', bucket: 'other' }, rules)).toEqual({
      topic: 'payments.all',
      envelope: false,
    });
    expect(routeFor({ bucketType: 'payments', bucket: 'audit' }, rules).topic).toBe('payments.all');
    expect(routeFor({ bucketType: 'default', bucket: 'audit' }, rules).topic).toBe('audit');
  });

  it('falls back to the default topic without envelope', () => {
    expect(routeFor({ bucketType: 'default', bucket: 'transactions' }, rules)).toEqual({
      topic: 'riak.default.transactions',
      envelope: false,
    });
    expect(routeFor({ bucketType: 'default', bucket: 'b' }, [])).toEqual({
      topic: 'riak.default.b',
      envelope: false,
    });
  });

  it('matches on the UTF-8 text, whichever form the binary travels in', () => {
    const commit = { bucketType: { base64: 'cGF5bWVudHM=' }, bucket: { base64: 'bGVkZ2Vy' } };
    expect(routeFor(commit, rules).topic).toBe('ledger.v1');
  });

  it('matches a binary that is not UTF-8 only with rules that leave its field out', () => {
    const commit = { bucketType: 'payments', bucket: { base64: '//4=' } };
    expect(routeFor(commit, rules).topic).toBe('payments.all');
    expect(routeFor(commit, [rules[0]!])).toEqual({ topic: 'riak.payments.fffe', envelope: false });
  });
});

describe('ForbiddenTopicError', () => {
  it('is a non-retriable FORBIDDEN_TOPIC naming the topic', () => {
    const cause = new Error('TOPIC_AUTHORIZATION_FAILED');
    const error = new ForbiddenTopicError('riak.default.secret', { cause });
    expect(error).toBeInstanceOf(CommitlogError);
    expect(error.code).toBe('FORBIDDEN_TOPIC');
    expect(isRetriable(error)).toBe(false);
    expect(error.topic).toBe('riak.default.secret');
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('Kafka refuses the topic "riak.default.secret"');
  });
});
