/**
 * Runs `closers` in turn, each one even when one before it failed, and says how many failed: a
 * role that stops (or gives up a start-up) must leave nothing open behind a part that would not
 * close. Each failure goes to `onError` (the role's log).
 */
export async function closeEach(
  closers: readonly (() => Promise<unknown>)[],
  onError: (err: unknown) => void,
): Promise<number> {
  let failed = 0;
  for (const close of closers) {
    await close().catch((err: unknown) => {
      failed += 1;
      onError(err);
    });
  }
  return failed;
}
