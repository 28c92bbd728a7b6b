/**
 * Why a request's `Content-Type`/`Content-Encoding` is not what the ingest reads, or undefined
 * when it is: `application/json` (any case), with `charset=utf-8` or no charset at all, and no
 * content coding. The signature covers the bytes as sent, and JSON is UTF-8 (RFC 8259), so a body
 * declared in another charset or compressed is refused (415) rather than guessed at.
 */
export function jsonMediaTypeProblem(
  contentType: string | undefined,
  contentEncoding: string | undefined,
): string | undefined {
  if (contentType === undefined || contentType.trim() === '') {
    return 'Content-Type must be application/json';
  }
  const [essence = '', ...parameters] = contentType.split(';');
  if (essence.trim().toLowerCase() !== 'application/json') {
    return 'Content-Type must be application/json';
  }
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    const name = parameter
      .slice(0, eq < 0 ? undefined : eq)
      .trim()
      .toLowerCase();
    if (name !== 'charset') continue;
    const value = unquote(eq < 0 ? '' : parameter.slice(eq + 1).trim()).toLowerCase();
    if (value !== 'utf-8' && value !== 'utf8') {
      return 'the charset of application/json must be utf-8';
    }
  }
  if (contentEncoding !== undefined) {
    const coding = contentEncoding.trim().toLowerCase();
    if (coding !== '' && coding !== 'identity') {
      return 'Content-Encoding is not supported: send the JSON uncompressed';
    }
  }
  return undefined;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"')
    ? value.slice(1, -1)
    : value;
}
