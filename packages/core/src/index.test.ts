import { describe, expect, it } from 'vitest';
import * as core from './index.ts';

describe('@commitlog/core', () => {
  it('exports the delivery path domain', () => {
    const functions = [
      'isRetriable',
      'binaryToBytes',
      'bytesToBinary',
      'binaryToDisplay',
      'parseCommit',
      'parseBatch',
      'commitSize',
      'recordSize',
      'assertCommitSize',
      'commitId',
      'laneOf',
      'laneName',
      'defaultTopic',
      'parseRoutes',
      'routeFor',
      'toKafkaRecord',
      'backoffDelay',
      'expiresAt',
      'isExpired',
      'nextDelay',
      'parseDuration',
      'failureReason',
    ] as const;
    for (const name of functions) expect(typeof core[name], name).toBe('function');
    for (const error of [
      core.CommitlogError,
      core.ValidationError,
      core.CommitTooLargeError,
      core.ForbiddenTopicError,
      core.ExpiredError,
    ]) {
      expect(error.prototype).toBeInstanceOf(Error);
    }
    expect(core.ENVELOPE_CONTENT_TYPE).toBe('application/vnd.commitlog.siblings+json');
    expect(core.DEFAULT_RETRY_POLICY.ttlMs).toBe(86_400_000);
  });
});
