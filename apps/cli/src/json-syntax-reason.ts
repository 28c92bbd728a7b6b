/**
 * JSON.parse's reason, as Node 24 (V8) words it, when it names only a rule and a position: "Expected
 * ',' or '}' after property value in JSON at position 13 (line 1 column 14)". Its other form quotes
 * the input ("Unexpected token 'x', ..."value"... is not valid JSON"), which in a commit's file is
 * a commit's value.
 */
const RULE_AT_POSITION = /^(?:[A-Za-z -]|'[,:}\]]')+ at position \d+ \(line \d+ column \d+\)$/;
const END_OF_INPUT = 'Unexpected end of JSON input';

/** "position 5 (line 1 column 6)", lines counted as V8 counts them (`\r\n`, `\r` or `\n`). */
function positionOf(text: string, position: number): string {
  const before = text.slice(0, position);
  const breaks = before.match(/\r\n|\r|\n/g) ?? [];
  const lineStart = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) + 1;
  return `position ${position} (line ${breaks.length + 1} column ${position - lineStart + 1})`;
}

/** JSON.parse's message for `text`, or undefined when `text` parses. */
function parseMessage(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Where the first character JSON.parse cannot take is in `text`, for the messages that quote it
 * rather than say where it is. Found as the shortest start of `text` that fails the same way: a
 * shorter one only runs out early (which V8 says without quoting, or with the end's position).
 */
function unexpectedAt(text: string): number {
  const quotes = (length: number): boolean => {
    const message = parseMessage(text.slice(0, length));
    return message !== undefined && message !== END_OF_INPUT && !RULE_AT_POSITION.test(message);
  };
  let low = 1;
  let high = text.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if (quotes(middle)) high = middle;
    else low = middle + 1;
  }
  return high - 1;
}

/**
 * Why `text` is not JSON, in JSON.parse's words when they name only a rule and a position, and
 * otherwise as the position of the unexpected character alone: never a piece of `text`.
 */
export function jsonSyntaxReason(text: string, message: string): string {
  if (message === END_OF_INPUT || RULE_AT_POSITION.test(message)) return message;
  return `Unexpected token at ${positionOf(text, unexpectedAt(text))}`;
}
