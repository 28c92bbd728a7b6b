/** A plain-text table for the terminal: columns padded to their widest cell, numbers right-aligned. */
export function textTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-\d.,/ ×x—%≥≤]*$/.test(r[i] ?? '')),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A number for a table cell: integers for big values, one decimal below 10, — for none. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return Math.round(value).toString();
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** `a / b` as a ratio cell, e.g. `0.85×`. */
export function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !(b > 0) || !Number.isFinite(a)) return '—';
  return `${(a / b).toFixed(2)}×`;
}

/** Three percentiles as one cell: `p50/p99/p99.9`. */
export function triple(s: { p50: number; p99: number; p999: number } | undefined): string {
  return s === undefined ? '—' : `${num(s.p50)}/${num(s.p99)}/${num(s.p999)}`;
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined || !Number.isFinite(bytes) ? '—' : (bytes / 1048576).toFixed(0);
}
