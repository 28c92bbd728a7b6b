import {
  failedByReason,
  lanesToCover,
  readDeliveryOverview,
  type DeliveryOverview,
  type LaneBacklog,
} from '@commitlog/queue';
import { formatAge, formatTime, loadCliConfig, maskRedisUrl, shorten } from '@commitlog/runtime';
import { connectCliRedis } from '../cli-redis.ts';
import {
  formatLaneCount,
  readLaneCountReport,
  type LaneCountReport,
} from '../lane-count-report.ts';
import { formatTable } from '../text-table.ts';

/** Everything `commitlog status` shows, read at one moment. */
export interface StatusSnapshot extends Pick<
  DeliveryOverview,
  'backlogs' | 'held' | 'failedByReason' | 'stalls' | 'rates'
> {
  redisUrl: string;
  prefix: string;
  /** The lane count and whether it could change now; shown when given. */
  laneCount?: LaneCountReport;
}

/** Stall records shown. */
const LAST_STALLS = 10;

function section(title: string, header: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [`${title}: none`];
  return [`${title}:`, ...formatTable(header, rows).map((line) => `  ${line}`)];
}

/**
 * Lanes an admin paused on the dashboard: they take commits and deliver none, with no error
 * anywhere, so the screen names them. Nothing when none is paused.
 */
function pausedLanes(backlogs: readonly LaneBacklog[]): string[] {
  const paused = backlogs.filter((b) => b.paused);
  if (paused.length === 0) return [];
  const waiting = paused.reduce((total, b) => total + b.waiting, 0);
  return [
    `PAUSED lanes (${paused.length}): ${paused.map((b) => b.lane).join(', ')}; ` +
      `they deliver nothing (${waiting} waiting) until resumed on the dashboard (Bull Board)`,
  ];
}

/**
 * The lanes there are: the recorded count. Read are also those up to this shell's LANES (a lane
 * past the count may still hold commits of an earlier, higher one), which the line says apart.
 */
function laneTotal(s: StatusSnapshot): string {
  const recorded = s.laneCount?.recorded;
  if (recorded === undefined || recorded >= s.backlogs.length) return String(s.backlogs.length);
  return `${recorded} (${s.backlogs.length} read)`;
}

/** The status screen as lines of plain text, columns aligned. Pure: `now` is the reading time. */
export function formatStatus(s: StatusSnapshot, now: number): string[] {
  const sum = (pick: (b: LaneBacklog) => number): number =>
    s.backlogs.reduce((total, b) => total + pick(b), 0);
  const ages = s.backlogs.flatMap((b) =>
    b.oldestWaitingAgeMs === undefined ? [] : [b.oldestWaitingAgeMs],
  );
  const oldest = ages.length === 0 ? '-' : formatAge(Math.max(...ages));
  const rate = (pick: 'delivered' | 'failed'): string =>
    `${s.rates.reduce((t, m) => t + m[pick], 0)} (${s.rates.at(-1)?.[pick] ?? 0} this minute)`;
  return [
    `commitlog status  ${formatTime(now)}  redis ${maskRedisUrl(s.redisUrl)}  prefix ${s.prefix}`,
    '',
    `lanes ${laneTotal(s)}  waiting ${sum((b) => b.waiting)}  active ${sum((b) => b.active)}  ` +
      `failed ${sum((b) => b.failed)}  oldest waiting ${oldest}`,
    `last ${s.rates.length} min: delivered ${rate('delivered')}  failed ${rate('failed')}`,
    ...pausedLanes(s.backlogs),
    ...(s.laneCount === undefined ? [] : formatLaneCount(s.laneCount)),
    '',
    ...section(
      `held lanes (${s.held.length})`,
      ['LANE', 'JOB', 'ATTEMPT', 'LAST ERROR', 'NEXT TRY IN', 'HELD FOR'],
      s.held.map((h) => [
        String(h.lane),
        h.jobId,
        String(h.attempt),
        shorten(h.lastError, 60),
        h.nextTryAt <= now ? 'now' : formatAge(h.nextTryAt - now),
        formatAge(now - h.heldSince),
      ]),
    ),
    '',
    ...section(
      'failed by reason',
      ['REASON', 'COUNT', 'NEWEST', 'OLDEST'],
      s.failedByReason.map((f) => [
        f.reason,
        String(f.count),
        `${formatAge(now - f.newestAt)} ago`,
        `${formatAge(now - f.oldestAt)} ago`,
      ]),
    ),
    '',
    ...section(
      `last ${LAST_STALLS} stalls`,
      ['WHEN', 'LANE', 'JOB', 'WORKER', 'STATE NOW'],
      s.stalls.map((st) => [
        formatTime(st.at),
        String(st.lane),
        st.jobId,
        st.worker ?? '-',
        st.state,
      ]),
    ),
  ];
}

export interface StatusOptions {
  /** REDIS_URL, QUEUE_PREFIX and LANES come from here. */
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  /** Progress lines while the failed deliveries are read (hundreds of thousands after an outage). */
  err?: (line: string) => void;
  now?: () => number;
}

/** `commitlog status`: lanes, backlog, held lanes, failures by reason and stalls, one screen. */
export async function status(options: StatusOptions): Promise<void> {
  const config = loadCliConfig(options.env);
  const now = options.now ?? Date.now;
  const redis = await connectCliRedis(config);
  try {
    const laneCount = await readLaneCountReport(redis, config.queuePrefix, config.lanes);
    const lanes = lanesToCover(laneCount.recorded, config.lanes);
    const overview = await readDeliveryOverview(redis, config.queuePrefix, lanes, {
      stalls: LAST_STALLS,
      failures: 0,
      now,
      readFailedByReason: (of) =>
        failedByReason(redis, config.queuePrefix, of, (read) =>
          options.err?.(`status: ${read} failed deliveries read so far`),
        ),
    });
    const snapshot = {
      redisUrl: config.redisUrl,
      prefix: config.queuePrefix,
      ...overview,
      laneCount,
    };
    for (const line of formatStatus(snapshot, now())) options.out(line);
  } finally {
    redis.disconnect();
  }
}
