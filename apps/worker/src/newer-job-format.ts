import { CommitlogError } from '@commitlog/core';

/**
 * A job holds a field this worker does not know: a newer ingest stored it (a rolling upgrade
 * that reached the ingests first). Mapped by this version, the commit would reach Kafka without
 * it, for good; so it is retried, holding its lane, until a worker of that version takes it (or
 * its TTL ends: failed as expired, for a re-drive once the workers are upgraded). The message
 * names the field's path, never a value.
 */
export class NewerJobFormatError extends CommitlogError {
  constructor(path: string) {
    super(
      'NEWER_JOB_FORMAT',
      `the job holds a field this worker does not know (${path}), stored by a newer version: its lane is held until a worker of that version delivers it; upgrade the workers`,
      { retriable: true },
    );
  }
}
