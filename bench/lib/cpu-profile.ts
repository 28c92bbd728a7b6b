/** Totals from a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` writes). */

export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  selfMs: number;
  /** The function and everything it called; a sample counts once however deep it recurses. */
  totalMs: number;
}

export interface ProfileTotals {
  /** Busy time: the samples not in `(idle)`. */
  totalMs: number;
  idleMs: number;
  functions: FunctionTime[];
  /** Self time per npm package, workspace package, or Node's own code. */
  packages: Map<string, number>;
}

export function profileTotals(profile: CpuProfile): ProfileTotals {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const functions = new Map<string, FunctionTime>();
  const packages = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  // Every sample weighs the same, the profile's mean interval, as DevTools' call trees count
  // them: a sample's delta is the gap before it, and a gap where the process was not running
  // (preempted on these shared cores) says nothing about which function it belongs to.
  const deltas = profile.timeDeltas.reduce((sum, d) => sum + Math.max(0, d), 0);
  const ms = deltas / 1000 / Math.max(1, profile.samples.length);
  profile.samples.forEach((id) => {
    const leaf = byId.get(id);
    if (!leaf) return;
    if (leaf.callFrame.functionName === '(idle)') {
      idleMs += ms;
      return;
    }
    totalMs += ms;
    const leafName = functionName(leaf.callFrame);
    entry(functions, leafName).selfMs += ms;
    const pkg = packageOf(leaf.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (!node || node.callFrame.functionName === '(root)') continue;
      const name = functionName(node.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      entry(functions, name).totalMs += ms;
    }
  });
  return { totalMs, idleMs, functions: [...functions.values()], packages };
}

function entry(map: Map<string, FunctionTime>, name: string): FunctionTime {
  let found = map.get(name);
  if (!found) map.set(name, (found = { name, selfMs: 0, totalMs: 0 }));
  return found;
}

function functionName(frame: CpuProfile['nodes'][number]['callFrame']): string {
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
