/**
 * How every role process (ingest, worker, dashboard) is started: the CLI's `spawnRole` (what
 * `commitlog up`, `commitlog <role>`, the Docker image and the k8s pods run) and the test kit's
 * system (the end-to-end tests and the benchmark) both take these, so that what is measured is
 * what runs.
 *
 * Why (measured with the benchmark, bench/quick-load.ts, Node 24 on a 24 GB host): without
 * flags a role's resident memory went from ~135 MiB idle to ~300 MiB under load, while its live
 * heap stayed about 30 MiB. V8 sizes its heap from the machine's memory, not from what the
 * service needs:
 * - the young generation grew to 2 × 64 MiB semi-spaces, all of it resident after a few
 *   scavenges (~128 MiB of the peak); a role's requests and jobs live for milliseconds, and
 *   4 MiB semi-spaces hold them at no measurable cost in throughput or latency;
 * - with a 4 GiB heap limit V8 lets the old generation grow to 4 × its live size before a full
 *   GC (promoted garbage, ~50 MiB); under a 512 MiB limit it grows by about 1.4 × instead.
 * The limit is also the most old space a role may use. A role's legitimate peak is far below
 * it: the worker holds at most its lanes' jobs (at the default 16 lanes, 16 × (one commit of at
 * most MAX_COMMIT_BYTES + followers of at most 1 MiB), as JSON and decoded: ~120 MiB at the very
 * worst); the ingest holds its in-flight requests (a batch of at most MAX_BATCH_BYTES, 16 MiB,
 * costs ~50 MiB of heap while it is parsed and enqueued). The k8s manifests give each pod a
 * 768 MiB container limit: this heap, its young generation, and the CLI beside it (~75 MiB). Whoever runs many more lanes per
 * worker, or many concurrent 16 MiB batches per ingest, raises it with NODE_OPTIONS (which comes
 * after these flags, so it wins), e.g. `NODE_OPTIONS=--max-old-space-size=2048`.
 *
 * The worker's semi-spaces are 16 MiB: `pnpm bench:latency 250 15`, three interleaved pairs
 * on 2026-12-03, against 4 MiB: its GC time fell from 14–21 to 5–7 ms per second and its CPU per
 * commit by 4–10 % (every pair), for ~26 MiB more resident memory (peak 172–175 MiB, under its
 * 200 MiB budget). The ingest would gain as much (GC 9–16 → 5–6 ms/s, CPU −10 %) but its peak
 * went from 134–141 to 159–160 MiB, over its 150 MiB budget, so it keeps 4 MiB. Measured again on
 * 2026-12-04 at 1,000/s (`pnpm bench:latency 1000 30`, interleaved): 16 MiB, GC 19–20 ms/s and
 * peak 160–161 MiB; 8 MiB, GC 40–41 ms/s and peak 144–153 MiB; 4 MiB, GC 36–58 ms/s and peak
 * 133–136 MiB. 8 MiB costs memory and buys no GC time, so there is no middle setting either.
 *
 * MALLOC_ARENA_MAX: glibc gives each thread that allocates (V8's GC and compiler threads,
 * libuv's pool) an arena of its own and keeps their freed memory; two arenas saved ~8 MiB of
 * resident memory per role with no change in throughput.
 */
export function roleNodeFlags(role: RoleName): readonly string[] {
  return [`--max-semi-space-size=${role === 'worker' ? 16 : 4}`, '--max-old-space-size=512'];
}

/** The processes commitlog runs, each from its app's `src/main.ts`. */
export type RoleName = 'ingest' | 'worker' | 'dashboard';

/**
 * Node's command-line options of a role process: kafkajs 2.2.4 trips a harmless Node 24 timer
 * warning on every connection (kafkajs#1751).
 */
export const ROLE_NODE_ARGS: readonly string[] = ['--disable-warning=TimeoutNegativeWarning'];

/**
 * The environment of a role process: `env` with the role's flags (`roleNodeFlags`) before any
 * NODE_OPTIONS of its own (a later V8 flag overrides an earlier one), and MALLOC_ARENA_MAX=2
 * unless `env` sets it.
 */
export function roleProcessEnv(role: RoleName, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const own = env.NODE_OPTIONS?.trim();
  return {
    ...env,
    NODE_OPTIONS: [...roleNodeFlags(role), ...(own ? [own] : [])].join(' '),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX?.trim() || '2',
  };
}

/**
 * The V8 heap limit a role process will have, bytes, read from the flags it is started with
 * (its own, then NODE_OPTIONS, the last of each winning): old space plus three semi-spaces, as
 * V8 sizes it (`heap_size_limit`). For a check made in another process (`commitlog up` checks
 * the ingest's configuration before it starts it). Undefined when the flags set no old space.
 */
export function roleHeapLimitBytes(role: RoleName, env: NodeJS.ProcessEnv): number | undefined {
  const flags = roleProcessEnv(role, env).NODE_OPTIONS ?? '';
  // V8 takes each flag with - or _ between its words.
  const last = (words: string[]): number | undefined => {
    const flag = new RegExp(`--${words.join('[-_]')}[=\\s](\\d+)`, 'g');
    const value = [...flags.matchAll(flag)].at(-1)?.[1];
    return value === undefined ? undefined : Number(value);
  };
  const oldSpaceMiB = last(['max', 'old', 'space', 'size']);
  if (oldSpaceMiB === undefined) return undefined;
  return (oldSpaceMiB + 3 * (last(['max', 'semi', 'space', 'size']) ?? 0)) * 1024 * 1024;
}
