/** A pino destination that keeps every line, parsed, for assertions on what was logged. */
export interface LogCapture {
  lines: Record<string, unknown>[];
  write(chunk: string): void;
}

export function captureLogLines(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  return {
    lines,
    write(chunk: string) {
      lines.push(JSON.parse(chunk) as Record<string, unknown>);
    },
  };
}
