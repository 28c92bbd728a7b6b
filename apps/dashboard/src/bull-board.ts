import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { BoardQueues, CommitJobData } from '@commitlog/queue';
import type { DashboardRole } from '@commitlog/runtime';
import type { RequestHandler } from 'express';
import { jobTitle, redactJobData } from './job-redaction.ts';
import { laneGroupPrefix } from './lane-groups.ts';

/** Where Bull Board is mounted. */
export const BOARD_PATH = '/queues';

export interface BoardOptions {
  queues: BoardQueues;
  laneCount: number;
  /** Show commit values in job views (`DASHBOARD_SHOW_VALUES`); off by default: payment data. */
  showValues: boolean;
}

function adapters(options: BoardOptions, role: DashboardRole): BullMQAdapter[] {
  return options.queues.queues.map(({ lane, queue }) => {
    const adapterOptions = {
      readOnlyMode: role === 'viewer',
      allowRetries: role === 'admin',
      // Re-sending a delivered commit would put it on Kafka twice, after newer versions. The
      // base adapter reads this option; BullMQAdapter's declared options type omits it.
      allowCompletedRetries: false,
      prefix: laneGroupPrefix(lane, options.laneCount),
      delimiter: '/',
      description: `lane ${lane}: commits whose bucket and key hash here, delivered in order`,
    };
    const adapter = new BullMQAdapter(queue, adapterOptions);
    if (!options.showValues) {
      adapter.setFormatter('data', (data: CommitJobData) => redactJobData(data));
    }
    adapter.setFormatter('name', (job: { data?: CommitJobData }) => jobTitle(job.data));
    return adapter;
  });
}

/** Lanes past which Bull Board's pages poll less often (`boardPolling`). */
export const MANY_LANES = 256;

/**
 * How often Bull Board's pages poll, in seconds, when not every 5 s as it does by default. Each
 * poll reads every lane's counts (some 15 commands a lane): 3,840 commands every 5 s per open tab
 * at 256 lanes, 61,000 at 4,096, on the Redis that holds the commits. Past MANY_LANES, every
 * 30 s, and the page's own setting is hidden.
 */
export function boardPolling(
  laneCount: number,
): { forceInterval: number; showSetting: boolean } | undefined {
  return laneCount > MANY_LANES ? { forceInterval: 30, showSetting: false } : undefined;
}

function board(options: BoardOptions, role: DashboardRole): RequestHandler {
  const pollingInterval = boardPolling(options.laneCount);
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_PATH);
  createBullBoard({
    queues: adapters(options, role),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: role === 'admin' ? 'commitlog lanes' : 'commitlog lanes (read-only)',
        miscLinks: [{ text: 'Deliveries overview', url: '/deliveries' }],
        hideDocsLink: true,
        overview: { groupByDelimiter: true },
        hideRedisDetails: role === 'viewer',
        sortQueues: true,
        // Its workers column costs a CLIENT LIST per lane on every poll (every 5 s per open
        // tab), each listing every lane connection of every worker: LANES² entries formatted on
        // the main thread of the Redis that holds the commits. The worker gauges say the same.
        showWorkers: false,
        ...(pollingInterval === undefined ? {} : { pollingInterval }),
      },
    },
  });
  return serverAdapter.getRouter() as RequestHandler;
}

/**
 * Bull Board twice over the same lane queues: read-only for viewers (no action shown, and Bull
 * Board's API answers 405 to any), with retries for admins. Both live at `BOARD_PATH`; each
 * request goes to the one of its user's role.
 */
export function createBoards(options: BoardOptions): Record<DashboardRole, RequestHandler> {
  return { viewer: board(options, 'viewer'), admin: board(options, 'admin') };
}
