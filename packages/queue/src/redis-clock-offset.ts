/**
 * How far this host's wall clock is ahead of Redis's (ms; negative: behind), from one `TIME`:
 * Redis's reading set against the middle of the round trip, so that the error is at most half of
 * it. Redis keeps the workers' locks as deadlines on its own clock, and the roles stamp and
 * read times on theirs (README, "Clocks"): an offset of seconds between them is what makes those
 * disagree.
 */
export async function readRedisClockOffsetMs(
  // ioredis types TIME's reply as numbers; it gives the two strings Redis sends.
  connection: { status?: string; time(): Promise<readonly (string | number)[]> },
  now: () => number = Date.now,
): Promise<number> {
  // Not queued behind a reconnection: a scrape would wait for it, and the reading be late.
  if (connection.status !== undefined && connection.status !== 'ready') {
    throw new Error(`Redis is not connected (${connection.status})`);
  }
  const sent = now();
  const [seconds = NaN, micros = NaN] = await connection.time();
  const answered = now();
  const redisMs = Number(seconds) * 1000 + Number(micros) / 1000;
  if (!Number.isFinite(redisMs)) throw new Error('Redis answered TIME with no time');
  return (sent + answered) / 2 - redisMs;
}
