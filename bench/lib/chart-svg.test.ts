import { describe, expect, it } from 'vitest';
import { chartSvg } from './chart-svg.ts';

describe('chart', () => {
  it('draws one line per design in each panel, and escapes names', () => {
    const svg = chartSvg(
      [
        {
          name: 'commitlog',
          points: [
            { rate: 500, delivered: 500, p99Ms: 12 },
            { rate: 1000, delivered: 990, p99Ms: 400 },
          ],
        },
        { name: 'B5 <naive>', points: [{ rate: 500, delivered: 300, p99Ms: NaN }] },
      ],
      'run of today',
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg).toContain('B5 &lt;naive&gt;');
    expect(svg).not.toContain('NaN');
  });
});
