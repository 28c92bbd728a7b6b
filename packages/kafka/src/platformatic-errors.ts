import { isPermanentCode } from '@commitlog/core';

/**
 * Reading @platformatic/kafka's errors. It reports a failure as a tree: an aggregate per retry
 * loop ("metadata failed 4 times."), one per broker round ("Cannot connect to any broker."), then
 * the network error and, under it, the reason (a certificate that does not verify, a refused SASL
 * login, a Kafka error type). The top message alone says none of that.
 */
interface PlatformaticErrorNode {
  message?: unknown;
  /** The library's own class of error, e.g. `PLT_KFK_USER`. */
  code?: unknown;
  apiId?: unknown;
  /** Where in the response a Kafka error was read, e.g. `/responses/0/partition_responses/1`. */
  path?: unknown;
  /** The broker's own words on a Kafka error, when it gave any. */
  serverErrorMessage?: unknown;
  errors?: unknown;
  cause?: unknown;
}

const MAX_DEPTH = 8;

/** The client's retry loop ("produce failed 3 times."): its errors are its tries, oldest first. */
const RETRY_LOOP = / failed \d+ times\.$/;

function isRetryLoop(error: PlatformaticErrorNode): boolean {
  return typeof error.message === 'string' && RETRY_LOOP.test(error.message);
}

/**
 * A node's inner errors, the one that says how it ended first: a retry loop's last try, then its
 * earlier ones (`superseded`: a later try met something else).
 */
function children(error: PlatformaticErrorNode): { inner: unknown; superseded: boolean }[] {
  const errors: unknown[] = Array.isArray(error.errors) ? (error.errors as unknown[]) : [];
  const listed = errors.map((inner) => ({ inner, superseded: false }));
  if (isRetryLoop(error) && listed.length > 1) {
    listed.reverse();
    for (const earlier of listed.slice(1)) earlier.superseded = true;
  }
  return [...listed, { inner: error.cause, superseded: false }];
}

function isNode(error: unknown): error is PlatformaticErrorNode {
  return typeof error === 'object' && error !== null;
}

/**
 * A record's own error in a Produce response (v8 and later). @platformatic/kafka 2.12.1 lists it
 * with code -1 (UNKNOWN_SERVER_ERROR) whatever the broker meant, and before its partition's error,
 * which is the one that says what happened (INVALID_RECORD, INVALID_TIMESTAMP).
 */
function isRecordError(node: PlatformaticErrorNode): boolean {
  return typeof node.path === 'string' && node.path.includes('/record_errors/');
}

/**
 * The Kafka error type a node stands for. @platformatic/kafka 2.12.1 replaces the broker's
 * UNKNOWN_TOPIC_OR_PARTITION in a metadata answer (a topic that does not exist, on a broker that
 * does not create topics) with a UserError "Unknown topic <name>." that keeps neither the apiId nor
 * the broker's error as its cause (`dist/clients/base/base.js`, the metadata callback), so its code
 * and message are all there is to know it by. Read as the broker's error it stands for, so that it
 * is classified as kafkajs's is: retriable, and said by a broker.
 */
function apiIdOfNode(node: PlatformaticErrorNode): string | undefined {
  if (typeof node.apiId === 'string') return node.apiId;
  const unknownTopic =
    node.code === 'PLT_KFK_USER' &&
    typeof node.message === 'string' &&
    node.message.startsWith('Unknown topic ');
  return unknownTopic ? 'UNKNOWN_TOPIC_OR_PARTITION' : undefined;
}

/** A Kafka error in the tree, with the nodes from the top down to it. */
interface KafkaErrorAt {
  apiId: string;
  node: PlatformaticErrorNode;
  trail: PlatformaticErrorNode[];
  /** Met by an earlier try of a retry loop than its last. */
  superseded: boolean;
}

/** Every Kafka error in the tree but records' own, depth first, a retry loop's last try first. */
function kafkaErrors(
  error: unknown,
  trail: PlatformaticErrorNode[] = [],
  superseded = false,
  seen = new Set<unknown>(),
  found: KafkaErrorAt[] = [],
): KafkaErrorAt[] {
  if (trail.length > MAX_DEPTH || !isNode(error) || seen.has(error)) return found;
  seen.add(error);
  if (isRecordError(error)) return found;
  const apiId = apiIdOfNode(error);
  if (apiId !== undefined) {
    found.push({ apiId, node: error, trail, superseded });
    return found;
  }
  for (const child of children(error)) {
    kafkaErrors(child.inner, [...trail, error], superseded || child.superseded, seen, found);
  }
  return found;
}

/**
 * The Kafka error the failure is classified by: one no retry can fix, if the tree holds any, else
 * the first of the client's last try. A permanent error wins over retriable ones elsewhere in the
 * tree (another partition of the request, another try of the client's retry loop): the records it
 * names will never be accepted, and the callers never take it as the verdict on the other records
 * of a request that held several (they send each caller's records, and then each job's, alone
 * again). A retriable one an earlier try met says nothing of how the send ended: a leader that
 * moved and then a broker that went away is an outage, not a broker's answer.
 */
function reasonOf(error: unknown): KafkaErrorAt | undefined {
  const found = kafkaErrors(error);
  return found.find((at) => isPermanentCode(at.apiId)) ?? found.find((at) => !at.superseded);
}

/** The Kafka error type (`MESSAGE_TOO_LARGE`, `SASL_AUTHENTICATION_FAILED`, …) the failure is classified by, if any. */
export function apiIdOf(error: unknown): string | undefined {
  return reasonOf(error)?.apiId;
}

/**
 * The messages from the top of the tree down to its Kafka error (the one `apiIdOf` names, with
 * the broker's own words on it), or else down its first branch (a retry loop's last try), each
 * once, joined by ": ". The messages name brokers, partitions and reasons, never record
 * contents.
 */
export function failureMessage(error: unknown): string {
  const reason = reasonOf(error);
  const nodes: PlatformaticErrorNode[] = reason ? [...reason.trail] : [];
  let current: unknown = reason ? reason.node : error;
  while (nodes.length <= MAX_DEPTH && isNode(current)) {
    nodes.push(current);
    current = children(current)
      .map((child) => child.inner)
      .find(isNode);
  }
  const messages: string[] = [];
  const add = (text: unknown) => {
    const message = typeof text === 'string' ? text.trim().replace(/\.$/, '') : '';
    if (message !== '' && !messages.includes(message)) messages.push(message);
  };
  for (const node of nodes) {
    add(node.message);
    if (node === reason?.node) add(node.serverErrorMessage);
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}
