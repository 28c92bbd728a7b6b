import { describe, expect, it } from 'vitest';
import { joinRedriveProgress, type RedriveProgress } from './redrive-progress.ts';

describe('joinRedriveProgress', () => {
  it('gives the runner the latest of both counts at each call', () => {
    const heard: RedriveProgress[] = [];
    const { onMoved, onReading } = joinRedriveProgress((soFar) => heard.push(soFar));
    onReading?.({ read: 1000, checked: 0 });
    onReading?.({ read: 2000, checked: 0 });
    onMoved?.({ redriven: 1000, skipped: 2 });
    onReading?.({ read: 3000, checked: 1000 });
    expect(heard).toEqual([
      { redriven: 0, skipped: 0, read: 1000 },
      { redriven: 0, skipped: 0, read: 2000 },
      { redriven: 1000, skipped: 2, read: 2000 },
      { redriven: 1000, skipped: 2, read: 3000 },
    ]);
  });

  it('asks for no callback when nobody listens', () => {
    expect(joinRedriveProgress(undefined)).toEqual({});
  });
});
