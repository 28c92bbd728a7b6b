/**
 * The run's chart as an SVG file (no browser, no library): two panels over the asked rate, one of
 * delivered/s and one of p99 commit→Kafka (log scale), a line per design.
 */
export interface ChartSeries {
  name: string;
  points: { rate: number; delivered: number; p99Ms: number }[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const W = 460;
const H = 300;
const M = { left: 60, right: 15, top: 30, bottom: 45 };

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Axis {
  min: number;
  max: number;
  log: boolean;
}

function scale(axis: Axis, value: number, from: number, to: number): number {
  const f = (v: number): number => (axis.log ? Math.log10(Math.max(v, axis.min)) : v);
  const span = f(axis.max) - f(axis.min) || 1;
  return from + ((f(value) - f(axis.min)) / span) * (to - from);
}

function ticks(axis: Axis): number[] {
  if (axis.log) {
    const out: number[] = [];
    for (let v = Math.pow(10, Math.floor(Math.log10(axis.min))); v <= axis.max * 1.0001; v *= 10)
      out.push(v);
    return out;
  }
  const step = Math.pow(10, Math.floor(Math.log10(axis.max || 1)));
  const unit = axis.max / step > 5 ? step : step / 2;
  return Array.from({ length: Math.floor(axis.max / unit) + 1 }, (_, i) => i * unit);
}

function panel(
  series: readonly ChartSeries[],
  x0: number,
  title: string,
  y: (p: ChartSeries['points'][number]) => number,
  yAxis: Axis,
  xAxis: Axis,
  extra: string,
): string {
  const px = (v: number): number => scale(xAxis, v, x0 + M.left, x0 + W - M.right);
  const py = (v: number): number => scale(yAxis, v, H - M.bottom, M.top);
  const parts = [
    `<text x="${x0 + W / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  ];
  for (const t of ticks(yAxis)) {
    parts.push(
      `<line x1="${px(xAxis.min)}" x2="${px(xAxis.max)}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`,
      `<text x="${x0 + M.left - 5}" y="${py(t) + 4}" text-anchor="end">${t}</text>`,
    );
  }
  for (const t of ticks(xAxis)) {
    parts.push(`<text x="${px(t)}" y="${H - M.bottom + 15}" text-anchor="middle">${t}</text>`);
  }
  parts.push(
    `<text x="${x0 + W / 2}" y="${H - 8}" text-anchor="middle">asked rate (commits/s)</text>`,
    `<rect x="${px(xAxis.min)}" y="${M.top}" width="${px(xAxis.max) - px(xAxis.min)}" height="${H - M.top - M.bottom}" fill="none" stroke="#333"/>`,
    extra,
  );
  series.forEach((s, i) => {
    const points = s.points.filter((p) => Number.isFinite(y(p))).sort((a, b) => a.rate - b.rate);
    const colour = COLOURS[i % COLOURS.length]!;
    const coords = points.map((p) => `${px(p.rate).toFixed(1)},${py(y(p)).toFixed(1)}`);
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${coords.join(' ')}"/>`,
    );
    for (const c of coords) {
      const [cx, cy] = c.split(',');
      parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${colour}"/>`);
    }
  });
  return parts.join('\n');
}

export function chartSvg(series: readonly ChartSeries[], subtitle: string): string {
  const all = series.flatMap((s) => s.points);
  const maxRate = Math.max(1, ...all.map((p) => p.rate));
  const maxDelivered = Math.max(1, ...all.map((p) => p.delivered));
  const p99s = all.map((p) => p.p99Ms).filter((v) => Number.isFinite(v) && v > 0);
  const xAxis: Axis = { min: 0, max: maxRate * 1.05, log: false };
  const left = panel(
    series,
    0,
    'delivered/s',
    (p) => p.delivered,
    { min: 0, max: Math.max(maxRate, maxDelivered) * 1.05, log: false },
    xAxis,
    '',
  );
  const yLat: Axis = { min: 1, max: Math.max(1000, ...p99s), log: true };
  const limit = scale(yLat, 100, H - M.bottom, M.top);
  const right = panel(
    series,
    W,
    'p99 commit→Kafka (ms, log)',
    (p) => Math.max(1, p.p99Ms),
    yLat,
    xAxis,
    `<line x1="${W + M.left}" x2="${2 * W - M.right}" y1="${limit}" y2="${limit}" stroke="#999" stroke-dasharray="4 3"/>`,
  );
  const legend = series
    .map(
      (s, i) =>
        `<text x="${20 + i * 180}" y="${H + 20}" fill="${COLOURS[i % COLOURS.length]!}">■ ${esc(s.name)}</text>`,
    )
    .join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 50}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    left,
    right,
    legend,
    `<text x="${W}" y="${H + 42}" text-anchor="middle" fill="#666">${esc(subtitle)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
