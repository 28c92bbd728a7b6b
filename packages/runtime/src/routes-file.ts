import { parseRoutes, type RouteRule } from '@commitlog/core';
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
  let json: unknown;
  try {
    json = JSON.parse(contents);
  } catch (error) {
    problems.push({
      variable: 'ROUTES_FILE',
      message: `${JSON.stringify(path)} is not valid JSON: ${describeError(error)}`,
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
