import { isPermanentCode } from '@commitlog/core';

/**
 * Reading @platformatic/kafka's errors. It reports a failure as a tree: an aggregate per retry
 * loop ("metadata failed 4 times."), one per broker round ("Cannot connect to any broker."), then
 * the network error and, under it, the reason (a certificate that does not verify, a refused SASL
 * login, a Kafka error type). The top message alone says none of that.
 */
interface PlatformaticErrorNode {
  message?: unknown;
  apiId?: unknown;
  /** Where in the response a Kafka error was read, e.g. `/responses/0/partition_responses/1`. */
  path?: unknown;
  /** The broker's own words on a Kafka error, when it gave any. */
  serverErrorMessage?: unknown;
  errors?: unknown;
  cause?: unknown;
}

const MAX_DEPTH = 8;

function children(error: PlatformaticErrorNode): unknown[] {
  const errors: unknown[] = Array.isArray(error.errors) ? (error.errors as unknown[]) : [];
  return [...errors, error.cause];
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

/** A Kafka error in the tree, with the nodes from the top down to it. */
interface KafkaErrorAt {
  apiId: string;
  node: PlatformaticErrorNode;
  trail: PlatformaticErrorNode[];
}

/** Every Kafka error in the tree but records' own, depth first, in the order the client lists them. */
function kafkaErrors(
  error: unknown,
  trail: PlatformaticErrorNode[] = [],
  seen = new Set<unknown>(),
  found: KafkaErrorAt[] = [],
): KafkaErrorAt[] {
  if (trail.length > MAX_DEPTH || !isNode(error) || seen.has(error)) return found;
  seen.add(error);
  if (isRecordError(error)) return found;
  if (typeof error.apiId === 'string') {
    found.push({ apiId: error.apiId, node: error, trail });
    return found;
  }
  for (const inner of children(error)) kafkaErrors(inner, [...trail, error], seen, found);
  return found;
}

/**
 * The Kafka error the failure is classified by: one no retry can fix, if the tree holds any, else
 * the first. A permanent error wins over retriable ones elsewhere in the tree (another partition
 * of the request, another try of the client's retry loop): the records it names will never be
 * accepted, and the callers never take it as the verdict on the other records of a request that
 * held several (they send each caller's records, and then each job's, alone again).
 */
function reasonOf(error: unknown): KafkaErrorAt | undefined {
  const found = kafkaErrors(error);
  return found.find((at) => isPermanentCode(at.apiId)) ?? found[0];
}

/** The Kafka error type (`MESSAGE_TOO_LARGE`, `SASL_AUTHENTICATION_FAILED`, …) the failure is classified by, if any. */
export function apiIdOf(error: unknown): string | undefined {
  return reasonOf(error)?.apiId;
}

/**
 * The messages from the top of the tree down to its Kafka error (the one `apiIdOf` names, with
 * the broker's own words on it), or else down its first branch, each once, joined by ": ". The
 * messages name brokers, partitions and reasons, never record contents.
 */
export function failureMessage(error: unknown): string {
  const reason = reasonOf(error);
  const nodes: PlatformaticErrorNode[] = reason ? [...reason.trail] : [];
  let current: unknown = reason ? reason.node : error;
  while (nodes.length <= MAX_DEPTH && isNode(current)) {
    nodes.push(current);
    current = children(current).find(isNode);
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
