/**
 * Totals from a V8 sampling heap profile (`.heapprofile`) taken with the objects that were
 * collected kept in it (`alloc-profile-preload.ts`): what each function allocated, not what
 * was still alive at the end.
 */
import {
  addToTotals,
  type CallFrame,
  type FunctionTotal,
  type ProfileTotals,
} from './profile-totals.ts';

export interface HeapProfileNode {
  callFrame: CallFrame;
  /** Bytes allocated here, V8's estimate from its samples (scaled to the sampling interval). */
  selfSize: number;
  children?: HeapProfileNode[];
}

export interface HeapProfile {
  head: HeapProfileNode;
}

export function isHeapProfile(value: unknown): value is HeapProfile {
  const head = (value as Partial<HeapProfile> | null)?.head;
  return typeof head?.selfSize === 'number' && typeof head.callFrame === 'object';
}

/** Bytes allocated per function and package. */
export function allocationTotals(profile: HeapProfile): ProfileTotals {
  const functions = new Map<string, FunctionTotal>();
  const packages = new Map<string, number>();
  let total = 0;
  // Iterative, with each node's parent kept: a deep stack of a real profile would overflow a
  // recursive walk's, and copying each node's stack would cost its depth per node.
  const frames: CallFrame[] = [];
  const parents: number[] = [];
  const pending: { node: HeapProfileNode; parent: number }[] = [{ node: profile.head, parent: -1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { node, parent } = next;
    const at = frames.push(node.callFrame) - 1;
    parents.push(parent);
    if (node.selfSize > 0) {
      total += node.selfSize;
      addToTotals(functions, packages, stackOf(at), node.selfSize);
    }
    for (const child of node.children ?? []) pending.push({ node: child, parent: at });
  }
  /** The frames from node `at` up to the root. */
  function* stackOf(at: number): Generator<CallFrame> {
    for (let i = at; i >= 0; i = parents[i]!) yield frames[i]!;
  }
  return { unit: 'bytes', total, idle: 0, functions: [...functions.values()], packages };
}
