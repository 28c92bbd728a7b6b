/**
 * Loaded into a role process with `NODE_OPTIONS=--import=<this file>` by
 * bench/latency-breakdown.ts when ALLOC_PROFILE_DIR is set: samples the process's allocations,
 * the objects collected since included (what each function allocated, which is what the garbage
 * collector pays for), and writes them to `$ALLOC_PROFILE_DIR/<role>-<pid>.heapprofile` as the
 * process exits. Summarize it with `node bench/profile-top.ts`. Does nothing without
 * ALLOC_PROFILE_DIR.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { basename, join } from 'node:path';

/** Bytes between samples, on average: V8's default is 32 KiB; a commit allocates tens of KiB. */
const SAMPLING_INTERVAL = 8192;

const dir = process.env.ALLOC_PROFILE_DIR;
if (dir) {
  const role = /apps\/([^/]+)\/src\/main\.ts$/.exec(process.argv[1] ?? '')?.[1];
  const file = join(
    dir,
    `${role ?? basename(process.argv[1] ?? 'node')}-${process.pid}.heapprofile`,
  );
  // An in-process session answers synchronously, so the profile can be taken in 'exit'.
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', {
    samplingInterval: SAMPLING_INTERVAL,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error) process.stderr.write(`alloc profile not written: ${error.message}\n`);
      else writeFileSync(file, JSON.stringify(result.profile));
    });
  });
}
