/**
 * Reading @platformatic/kafka's errors. It reports a failure as a tree: an aggregate per retry
 * loop ("metadata failed 4 times."), one per broker round ("Cannot connect to any broker."), then
 * the network error and, under it, the reason (a certificate that does not verify, a refused SASL
 * login, a Kafka error type). The top message alone says none of that.
 */
interface PlatformaticErrorNode {
  message?: unknown;
  apiId?: unknown;
  errors?: unknown;
  cause?: unknown;
}

const MAX_DEPTH = 8;

function children(error: PlatformaticErrorNode): unknown[] {
  const errors: unknown[] = Array.isArray(error.errors) ? (error.errors as unknown[]) : [];
  return [...errors, error.cause];
}

/** The Kafka error type (`MESSAGE_TOO_LARGE`, `SASL_AUTHENTICATION_FAILED`, …) in the tree, if any. */
export function apiIdOf(error: unknown, depth = 0): string | undefined {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return undefined;
  const node = error as PlatformaticErrorNode;
  if (typeof node.apiId === 'string') return node.apiId;
  for (const inner of children(node)) {
    const id = apiIdOf(inner, depth + 1);
    if (id !== undefined) return id;
  }
  return undefined;
}

/**
 * The messages from the top of the tree down its first branch to the reason, each once, joined
 * by ": ". The messages name brokers and reasons, never record contents.
 */
export function failureMessage(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (
    let depth = 0;
    depth <= MAX_DEPTH && typeof current === 'object' && current !== null;
    depth++
  ) {
    const node = current as PlatformaticErrorNode;
    const message = typeof node.message === 'string' ? node.message.replace(/\.$/, '') : '';
    if (message !== '' && !messages.includes(message)) messages.push(message);
    current = children(node).find((c) => typeof c === 'object' && c !== null);
  }
  return messages.length > 0 ? messages.join(': ') : String(error);
}
