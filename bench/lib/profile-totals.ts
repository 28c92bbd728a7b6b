/**
 * What a V8 profile says per function and per package, in its own unit: milliseconds of a CPU
 * profile (`cpu-profile.ts`), bytes allocated of a sampling heap profile (`heap-profile.ts`).
 */

export interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber?: number;
}

export interface FunctionTotal {
  name: string;
  /** In the function's own code. */
  self: number;
  /** The function and everything it called; a recursion counts once. */
  total: number;
}

export interface ProfileTotals {
  unit: 'ms' | 'bytes';
  /** Everything the profile counts (a CPU profile's busy time: its samples not in `(idle)`). */
  total: number;
  /** A CPU profile's `(idle)` time; 0 for allocations. */
  idle: number;
  functions: FunctionTotal[];
  /** Self figures per npm package, workspace package, or Node's own code. */
  packages: Map<string, number>;
}

/**
 * Adds `amount` to the leaf's self figure and package, and to the total of each distinct function
 * on its stack (`stack` from the leaf up; `(root)` skipped).
 */
export function addToTotals(
  functions: Map<string, FunctionTotal>,
  packages: Map<string, number>,
  stack: Iterable<CallFrame>,
  amount: number,
): void {
  const seen = new Set<string>();
  let leaf = true;
  for (const frame of stack) {
    if (frame.functionName === '(root)') continue;
    const name = functionName(frame);
    if (leaf) {
      entry(functions, name).self += amount;
      const pkg = packageOf(frame);
      packages.set(pkg, (packages.get(pkg) ?? 0) + amount);
      leaf = false;
    }
    if (seen.has(name)) continue;
    seen.add(name);
    entry(functions, name).total += amount;
  }
}

function entry(map: Map<string, FunctionTotal>, name: string): FunctionTotal {
  let found = map.get(name);
  if (!found) map.set(name, (found = { name, self: 0, total: 0 }));
  return found;
}

function functionName(frame: CallFrame): string {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  // The column too: two functions of one line (minified code) are two functions.
  return `${name} ${shortUrl(frame.url)}:${frame.lineNumber + 1}:${(frame.columnNumber ?? 0) + 1}`;
}

function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) return url.slice(inModules + '/node_modules/'.length);
  const inRepo = /\/(apps|packages|bench)\/(.*)$/.exec(url);
  return inRepo ? `${inRepo[1]}/${inRepo[2]}` : url.replace(/^file:\/\//, '');
}

/**
 * `ioredis`, `@scope/name`, `apps/ingest`, `node:events` or `node:internal/streams` (Node's own),
 * or a V8 entry like `(garbage collector)`.
 */
export function packageOf(frame: { functionName: string; url: string }): string {
  const { url } = frame;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  // Node's own code by its first two parts: node:internal/streams, node:internal/crypto.
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/');
  const inModules = url.lastIndexOf('/node_modules/');
  if (inModules >= 0) {
    const [first, second] = url.slice(inModules + '/node_modules/'.length).split('/');
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? url);
  }
  const inRepo = /\/(apps|packages|bench)\/([^/]+)\//.exec(url);
  return inRepo ? `${inRepo[1]}/${inRepo[2]}` : url;
}
