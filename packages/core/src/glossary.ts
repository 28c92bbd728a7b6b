/**
 * Glossary: the words commitlog's code, logs, metrics and dashboard use, each with one meaning.
 *
 * - **commit**: one object version that Riak KV committed (a put or a delete), as the Riak hook
 *   posts it to the ingest: bucket type, bucket, key, op, vclock and every sibling. Its shape is
 *   `Commit` (commit-schema.ts); its id is `commitId` (commit-id.ts), derived from its content so
 *   that a hook retrying the same commit is recognised as a duplicate.
 * - **lane**: one of `LANES` ordered queues (one BullMQ queue each, named `laneName(n)`). A
 *   commit's lane is a stable hash of (bucket type, bucket, key) (`laneOf`, lane.ts), so every
 *   commit of one key goes through one lane, in the order the ingest accepted them. A lane
 *   delivers one commit at a time; a failing delivery holds its lane (head-of-line by design).
 * - **job**: the BullMQ job that carries one accepted commit in its lane. Its job id is the
 *   commit id. A job exists in Redis before the ingest answers 202.
 * - **delivery**: getting one job's commit onto Kafka as one record (`toKafkaRecord`,
 *   record-mapping.ts) and having Kafka acknowledge it with `acks=all`. A delivery succeeds once;
 *   it may take several attempts.
 * - **attempt**: one try of a delivery: produce the record and wait for the ack. Attempts are
 *   counted from 1; the wait before the next one is `backoffDelay`/`nextDelay` (retry-policy.ts).
 * - **stalled**: a job whose worker died (or stopped renewing its lock) mid-attempt. BullMQ moves
 *   it back to its lane; the dashboard lists every job that has stalled.
 * - **expired**: a commit that was not delivered within its TTL (`COMMIT_TTL`, default 24 h),
 *   counted from acceptance. It fails for good with reason `expired` (`ExpiredError`) and can be
 *   re-driven by an operator.
 * - **poison**: a commit that no retry can deliver (a record larger than the topic accepts, a
 *   route to a topic Kafka refuses). It fails at once, without waiting for its TTL, with its
 *   reason (`failureReason`, e.g. `message-too-large`, `forbidden-topic`), so that it does not
 *   hold its lane for a day.
 * - **route**: where a commit's record goes: a Kafka topic and whether the record is enveloped
 *   (`Route`, topic-routing.ts). Chosen by the first routing rule that matches the commit's
 *   bucket type and bucket, else the default topic `riak.<bucketType>.<bucket>`.
 * - **envelope**: the JSON record value `{"format": "commitlog.siblings.v1", "siblings": [...]}`
 *   that holds every sibling of a commit (with its metadata, values in base64, `deleted: true` on
 *   a tombstone sibling). Used when a put has several siblings or a lone tombstone sibling, or
 *   always when its route asks for it. Its content type is `ENVELOPE_CONTENT_TYPE`.
 *
 * Also used: a **sibling** is one of the values Riak keeps for a key after concurrent writes (an
 * object without conflicts has exactly one); a **binary** (`RiakBinary`) is Riak's name for a
 * byte string (bucket types, buckets and keys are binaries, not text).
 */
export {};
