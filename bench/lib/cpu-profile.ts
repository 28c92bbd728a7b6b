/** Totals from a V8 CPU profile (the `.cpuprofile` JSON that `node --cpu-prof` writes). */
import {
  addToTotals,
  type CallFrame,
  type FunctionTotal,
  type ProfileTotals,
} from './profile-totals.ts';

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export function isCpuProfile(value: unknown): value is CpuProfile {
  const p = value as Partial<CpuProfile> | null;
  return Array.isArray(p?.nodes) && Array.isArray(p.samples) && Array.isArray(p.timeDeltas);
}

/** Milliseconds per function and package. */
export function cpuProfileTotals(profile: CpuProfile): ProfileTotals {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const functions = new Map<string, FunctionTotal>();
  const packages = new Map<string, number>();
  let total = 0;
  let idle = 0;
  // Every sample weighs the same, the profile's mean interval, as DevTools' call trees count
  // them: a sample's delta is the gap before it, and a gap where the process was not running
  // (preempted on these shared cores) says nothing about which function it belongs to.
  const deltas = profile.timeDeltas.reduce((sum, d) => sum + Math.max(0, d), 0);
  const ms = deltas / 1000 / Math.max(1, profile.samples.length);
  function* stack(id: number): Generator<CallFrame> {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node) yield node.callFrame;
    }
  }
  for (const id of profile.samples) {
    const leaf = byId.get(id);
    if (!leaf) continue;
    if (leaf.callFrame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    total += ms;
    addToTotals(functions, packages, stack(id), ms);
  }
  return { unit: 'ms', total, idle, functions: [...functions.values()], packages };
}
