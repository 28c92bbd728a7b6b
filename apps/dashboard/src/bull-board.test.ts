import { describe, expect, it } from 'vitest';
import { boardPolling, MANY_LANES } from './bull-board.ts';

describe('boardPolling', () => {
  it("keeps Bull Board's own polling up to MANY_LANES lanes, and polls every 30 s past them", () => {
    expect(boardPolling(16)).toBeUndefined();
    expect(boardPolling(MANY_LANES)).toBeUndefined();
    expect(boardPolling(MANY_LANES + 1)).toEqual({ forceInterval: 30, showSetting: false });
    expect(boardPolling(4096)).toEqual({ forceInterval: 30, showSetting: false });
  });
});
