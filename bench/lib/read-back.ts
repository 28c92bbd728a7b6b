/**
 * The step's records read back for the oracle, again until Kafka holds every commit the design
 * accepted or the wait is over. Before the read-back the step waits for a record count, which
 * duplicates make reach its mark early, and a read stops at the end offsets it saw when it
 * started (or at its own time-out): a commit that was only late would otherwise count as lost.
 */
import type { RecordStamp } from '@commitlog/kafka';

export async function readBack(options: {
  /** One read of the step's topic from its beginning. */
  read: () => Promise<RecordStamp[]>;
  /** The ids of the commits the design accepted (primers included). */
  accepted: ReadonlySet<string>;
  /** How long to go on reading after the first read. */
  timeoutMs: number;
  /** Between two reads. */
  pauseMs: number;
  progress: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<RecordStamp[]> {
  const now = options.now ?? (() => performance.now());
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + options.timeoutMs;
  for (;;) {
    const stamps = await options.read();
    const found = new Set(stamps.map((s) => s.id));
    let missing = 0;
    for (const id of options.accepted) if (!found.has(id)) missing++;
    if (missing === 0 || now() >= deadline) return stamps;
    options.progress(`    (${missing} accepted commits not read back yet: reading again)`);
    await sleep(options.pauseMs);
  }
}
