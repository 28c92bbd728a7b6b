import { describe, expect, it } from 'vitest';
import { lanesToCover } from './lane-count.ts';

describe('lanesToCover', () => {
  it('covers every recorded lane when the reader was started with fewer', () => {
    expect(lanesToCover(16, 4)).toBe(16);
  });

  it("covers the reader's own lanes when Redis recorded fewer or none", () => {
    expect(lanesToCover(4, 16)).toBe(16);
    expect(lanesToCover(undefined, 8)).toBe(8);
  });
});
