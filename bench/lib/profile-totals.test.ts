import { describe, expect, it } from 'vitest';
import { packageOf } from './profile-totals.ts';

describe('packageOf', () => {
  it('names scoped packages, Node internals and native code', () => {
    const url = 'file:///r/node_modules/.pnpm/x/node_modules/@platformatic/kafka/dist/p.js';
    expect(packageOf({ functionName: 'send', url })).toBe('@platformatic/kafka');
    expect(packageOf({ functionName: 'emit', url: 'node:events' })).toBe('node:events');
    const internal = 'node:internal/streams/writable';
    expect(packageOf({ functionName: 'write', url: internal })).toBe('node:internal/streams');
    expect(packageOf({ functionName: 'writev', url: '' })).toBe('(native)');
    expect(packageOf({ functionName: 'handle', url: 'file:///r/apps/ingest/src/a.ts' })).toBe(
      'apps/ingest',
    );
  });
});
