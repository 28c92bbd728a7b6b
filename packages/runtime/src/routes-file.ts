import { jsonParseLoss, parseRoutes, type RouteRule } from '@commitlog/core';
import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config-error.ts';
import type { ConfigDeps } from './config-types.ts';

/**
 * The routing rules of the routes file, checked with core's schema; none when there is no file.
 * A file that cannot be read, is not JSON or breaks the schema is a problem on ROUTES_FILE.
 */
export function readRoutesFile(
  path: string | undefined,
  deps: ConfigDeps,
  problems: ConfigProblem[],
): RouteRule[] {
  if (path === undefined) return [];
  const readFile = deps.readFile ?? ((file: string) => readFileSync(file, 'utf8'));
  let contents: string;
  try {
    contents = readFile(path);
  } catch (error) {
    problems.push({
      variable: 'ROUTES_FILE',
      message: `cannot read ${JSON.stringify(path)}: ${describeError(error)}`,
    });
    return [];
  }
  // A byte order mark, as some editors save, is not part of the JSON.
  const text = contents.startsWith('\uFEFF') ? contents.slice(1) : contents;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    problems.push({
      variable: 'ROUTES_FILE',
      message: `${JSON.stringify(path)} is not valid JSON${jsonErrorPlace(error)}`,
    });
    return [];
  }
  // JSON.parse keeps the last of two members of one name: a second "routes" dropped every rule
  // of the first, and its buckets went to their default topics without a word.
  const loss = jsonParseLoss(text);
  if (loss?.kind === 'repeated-name') {
    problems.push({
      variable: 'ROUTES_FILE',
      message: `${JSON.stringify(path)} names a member twice in one object, at ${loss.path || 'the top'}: JSON keeps only the last, so say each once`,
    });
    return [];
  }
  try {
    return parseRoutes(json);
  } catch (error) {
    problems.push({
      variable: 'ROUTES_FILE',
      message: `${JSON.stringify(path)}: ${describeError(error)}`,
    });
    return [];
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Where JSON.parse stopped, by line and column when it says (Node does), never its excerpt of the
 * text: a ROUTES_FILE pointed at the wrong file (a secret's) would have its start printed.
 */
function jsonErrorPlace(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const place = /\(line (\d+) column (\d+)\)/.exec(message);
  if (place) return ` (line ${place[1]}, column ${place[2]})`;
  const position = /at position (\d+)/.exec(message);
  if (position) return ` (at character ${Number(position[1]) + 1})`;
  return message.includes('Unexpected end') ? ' (it ends too early)' : '';
}
