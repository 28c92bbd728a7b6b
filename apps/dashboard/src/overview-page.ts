import { formatAge, formatTime, shorten } from '@commitlog/runtime';
import type { SignedInUser } from './auth.ts';
import { BOARD_PATH } from './bull-board.ts';
import { html, type SafeHtml } from './html.ts';
import { boardJobPath, laneBoardName } from './lane-groups.ts';
import { page } from './page-layout.ts';
import type { ShownOverview } from './shown-overview.ts';

/** What an operator does about each reason a delivery failed for good. */
const REASON_HINTS: Record<string, string> = {
  expired: 'not delivered within COMMIT_TTL (Kafka was away too long); re-drive once Kafka is back',
  'too-large': "larger than the topic's max.message.bytes; raise it on the topic, then re-drive",
  'forbidden-topic':
    'the topic is not writable, or its name collides with another (see the message); fix the ACL or route the bucket elsewhere, then re-drive',
  'invalid-record': 'Kafka refused the record; see the message',
  poison: 'the job could not be read; inspect it in Bull Board',
};

function hintFor(reason: string): string {
  return Object.hasOwn(REASON_HINTS, reason)
    ? REASON_HINTS[reason]!
    : 'see the message in Bull Board';
}

export interface OverviewView {
  overview: ShownOverview;
  /** This dashboard's LANES: Bull Board has a page for each lane below it, and for no other. */
  boardLaneCount: number;
  /** The lane count recorded in Redis, when known; a warning is shown when it differs. */
  recordedLaneCount?: number | undefined;
  user: SignedInUser;
  /** A message after an action, e.g. `re-drove 3 deliveries`. */
  notice?: string;
}

function laneLink(view: OverviewView, lane: number): SafeHtml {
  if (lane >= view.boardLaneCount) return html`${lane}`;
  const name = laneBoardName(lane, view.boardLaneCount);
  return html`<a href="${BOARD_PATH}/queue/${encodeURIComponent(name)}">${lane}</a>`;
}

function jobLink(view: OverviewView, lane: number, jobId: string): SafeHtml {
  if (lane >= view.boardLaneCount) return html`<code>${shorten(jobId, 16)}</code>`;
  const name = laneBoardName(lane, view.boardLaneCount);
  return html`<a href="${boardJobPath(BOARD_PATH, name, jobId)}"
    ><code>${shorten(jobId, 16)}</code></a
  >`;
}

function redriveButton(view: OverviewView, fields: Record<string, string>, label: string) {
  if (view.user.role !== 'admin') return html``;
  const inputs = Object.entries(fields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`,
  );
  return html`<form method="post" action="/deliveries/redrive">
    <input type="hidden" name="_csrf" value="${view.user.csrfToken}" />${inputs}
    <button type="submit">${label}</button>
  </form>`;
}

function table(headers: string[], rows: SafeHtml[], empty: string): SafeHtml {
  if (rows.length === 0) return html`<p class="none">${empty}</p>`;
  return html`<table>
    <thead>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>`;
}

function summary(view: OverviewView): SafeHtml {
  const { backlogs, rates, held, stallsRecorded } = view.overview;
  const total = (pick: (b: (typeof backlogs)[number]) => number) =>
    backlogs.reduce((t, b) => t + pick(b), 0);
  const ages = backlogs.flatMap((b) =>
    b.oldestWaitingAgeMs === undefined ? [] : [b.oldestWaitingAgeMs],
  );
  const sum = (k: 'delivered' | 'failed') => rates.reduce((t, m) => t + m[k], 0);
  const paused = backlogs.filter((b) => b.paused).length;
  const item = (label: string, value: string | number, alert = false) =>
    html`<div class="${alert ? 'alert' : ''}"><b>${value}</b>${label}</div>`;
  return html`<div class="summary">
    ${item(
      'waiting',
      total((b) => b.waiting),
    )}
    ${item(
      'in flight',
      total((b) => b.active),
    )}
    ${item(
      'failed',
      total((b) => b.failed),
      total((b) => b.failed) > 0,
    )}
    ${item('held lanes', held.length, held.length > 0)} ${item('paused lanes', paused, paused > 0)}
    ${item('stalls recorded', stallsRecorded, stallsRecorded > 0)}
    ${item('oldest waiting', ages.length === 0 ? '-' : formatAge(Math.max(...ages)))}
    ${item(`delivered, last ${rates.length} min`, sum('delivered'))}
    ${item(`failed, last ${rates.length} min`, sum('failed'), sum('failed') > 0)}
  </div>`;
}

/**
 * When the failures by reason were counted, beside them: they come from a reading kept a
 * minute or more (it walks every failed delivery), the rest of the page from one a few seconds
 * old, and a count that looks current would hide what failed since.
 */
function failedAsOf(overview: ShownOverview): SafeHtml {
  const readAt = overview.failedByReasonAt;
  if (readAt === undefined) return html``;
  return html`<p class="none" data-failed-as-of="${readAt}">
    As of ${formatAge(overview.at - readAt)} ago (${formatTime(readAt)}): counted at most once a
    minute (less often when counting takes long) and again after each re-drive.
  </p>`;
}

function failedSections(view: OverviewView): SafeHtml {
  const now = view.overview.at;
  const groups = view.overview.failedByReason.map(
    (g) =>
      html`<tr data-reason="${g.reason}">
        <td><b>${g.reason}</b><br /><small>${hintFor(g.reason)}</small></td>
        <td class="n">${g.count}</td>
        <td>${formatAge(now - g.newestAt)} ago</td>
        <td>${formatAge(now - g.oldestAt)} ago</td>
        <td>${jobLink(view, g.newest.lane, g.newest.jobId)}</td>
        <td>${redriveButton(view, { reason: g.reason }, `Re-drive all ${g.count}`)}</td>
      </tr>`,
  );
  const failures = view.overview.recentFailures.map(
    (f) =>
      html`<tr data-job="${f.jobId}">
        <td>${formatTime(f.failedAt)}</td>
        <td>${f.reason}</td>
        <td><code>${shorten(`${f.bucketType}/${f.bucket}/${f.key}`, 60)}</code></td>
        <td class="n">${f.lane}</td>
        <td>${shorten(f.message, 160)}</td>
        <td>${jobLink(view, f.lane, f.jobId)}</td>
        <td>${redriveButton(view, { jobId: f.jobId, lane: String(f.lane) }, 'Re-drive')}</td>
      </tr>`,
  );
  return html`<h2>Failed deliveries by reason</h2>
    ${failedAsOf(view.overview)}
    ${table(['Reason', 'Count', 'Newest', 'Oldest', 'Newest job', ''], groups, 'No failed deliveries.')}
    <h2>Most recent failed deliveries</h2>
    ${table(['Failed at', 'Reason', 'Type/bucket/key', 'Lane', 'Message', 'Job', ''], failures, 'None.')}`;
}

function stuckSections(view: OverviewView): SafeHtml {
  const now = view.overview.at;
  const stalls = view.overview.stalls.map(
    (s) =>
      html`<tr data-job="${s.jobId}">
        <td>${formatTime(s.at)} (${formatAge(now - s.at)} ago)</td>
        <td class="n">${s.lane}</td>
        <td>${jobLink(view, s.lane, s.jobId)}</td>
        <td>${s.worker ?? 'unknown'}</td>
        <td>${s.state}</td>
      </tr>`,
  );
  const held = view.overview.held.map(
    (h) =>
      html`<tr data-job="${h.jobId}">
        <td class="n">${h.lane}</td>
        <td>${jobLink(view, h.lane, h.jobId)}</td>
        <td class="n">${h.attempt}</td>
        <td>${shorten(h.lastError, 80)}</td>
        <td>${h.nextTryAt <= now ? 'now' : `in ${formatAge(h.nextTryAt - now)}`}</td>
        <td>${formatAge(now - h.heldSince)}</td>
      </tr>`,
  );
  const shown = view.overview.stalls.length;
  const more = view.overview.stallsRecorded - shown;
  return html`<h2>Stalled deliveries</h2>
    <p class="none">
      Jobs whose worker died or hung while delivering them; BullMQ moved each back to its lane.
      ${more > 0 ? `The newest ${shown} of ${view.overview.stallsRecorded} recorded.` : ''}
    </p>
    ${table(['Stalled at', 'Lane', 'Job', 'Worker that held it', 'State now'], stalls, 'No stalls recorded.')}
    <h2>Lanes held by a retrying commit</h2>
    ${table(['Lane', 'Job', 'Attempt', 'Last error', 'Next try', 'Held for'], held, 'No lane is held.')}`;
}

function flowSections(view: OverviewView): SafeHtml {
  const { backlogs, rates } = view.overview;
  const busy = backlogs.filter((b) => b.paused || b.waiting + b.active + b.failed > 0);
  const lanes = busy.map(
    (b) =>
      html`<tr>
        <td class="n">${laneLink(view, b.lane)}</td>
        <td class="n">${b.waiting}</td>
        <td class="n">${b.active}</td>
        <td class="n">${b.failed}</td>
        <td>${b.oldestWaitingAgeMs === undefined ? '-' : formatAge(b.oldestWaitingAgeMs)}</td>
        <td>${b.paused ? html`<span class="alert"><b data-paused>paused</b></span>` : ''}</td>
      </tr>`,
  );
  const peak = Math.max(1, ...rates.map((m) => m.delivered + m.failed));
  const minutes = rates.map(
    (m) =>
      html`<tr>
        <td>${formatTime(m.minute).slice(11, 16)}Z</td>
        <td class="n">${m.delivered}</td>
        <td class="n">${m.failed}</td>
        <td>
          <span class="bar" style="width:${Math.round((200 * m.delivered) / peak)}px"></span
          ><span class="bar f" style="width:${Math.round((200 * m.failed) / peak)}px"></span>
        </td>
      </tr>`,
  );
  return html`<h2>Backlog per lane</h2>
    <p class="none">
      A paused lane takes commits but delivers none until an admin resumes it in Bull Board (the
      lane's page).
    </p>
    ${table(['Lane', 'Waiting', 'In flight', 'Failed', 'Oldest waiting', ''], lanes, `All ${backlogs.length} lanes are empty.`)}
    <h2>Delivered and failed per minute</h2>
    ${table(['Minute', 'Delivered', 'Failed', ''], minutes, 'No data.')}`;
}

/** Says so when this dashboard's LANES is not the one the queues in Redis are made with. */
function laneCountWarning(view: OverviewView): SafeHtml {
  const recorded = view.recordedLaneCount;
  if (recorded === undefined || recorded === view.boardLaneCount) return html``;
  return html`<p class="warning" role="alert" data-lanes-mismatch>
    This dashboard runs with LANES=${view.boardLaneCount}, but the queues in Redis are made with
    LANES=${recorded}. This page covers every lane; Bull Board shows only lanes 0 to
    ${view.boardLaneCount - 1}. Restart the dashboard with LANES=${recorded}.
  </p>`;
}

/** The Deliveries page: what is stuck, since when, why, and (for admins) the fix. */
export function overviewPage(view: OverviewView): string {
  return page(
    'Deliveries',
    view.user,
    html`${laneCountWarning(view)}
      ${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
      <p class="none">Read at ${formatTime(view.overview.at)}; this page reloads every 15 s.</p>
      ${summary(view)} ${failedSections(view)} ${stuckSections(view)} ${flowSections(view)}`,
    { refreshS: 15, refreshUrl: '/deliveries' },
  );
}
