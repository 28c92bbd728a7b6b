import { describe, expect, it } from 'vitest';
import type { SignedInUser } from './auth.ts';
import { overviewPage } from './overview-page.ts';
import type { ShownOverview } from './shown-overview.ts';

const AT = Date.parse('2026-12-08T10:00:00.000Z');

const user: SignedInUser = {
  name: 'ops',
  role: 'viewer',
  csrfToken: 'csrf',
  sessionToken: 'token',
  session: { name: 'ops', expiresAt: AT + 60_000, nonce: 'n', binding: 'b' },
};

function overview(fields: Partial<ShownOverview> = {}): ShownOverview {
  return {
    at: AT,
    backlogs: [],
    held: [],
    failedByReason: [
      {
        reason: 'expired',
        count: 7,
        newestAt: AT - 90_000,
        oldestAt: AT - 3_600_000,
        newest: { lane: 1, jobId: 'job-1' },
      },
    ],
    recentFailures: [],
    stalls: [],
    stallsRecorded: 0,
    rates: [],
    ...fields,
  };
}

/** The page's "Failed deliveries by reason" section, up to the next heading. */
function failedByReasonSection(page: string): string {
  const start = page.indexOf('<h2>Failed deliveries by reason</h2>');
  expect(start).toBeGreaterThanOrEqual(0);
  return page.slice(start, page.indexOf('<h2>', start + 1));
}

describe('the Deliveries page', () => {
  it('shows how old the failures by reason are, beside them', () => {
    const page = overviewPage({
      overview: overview({ failedByReasonAt: AT - 40_000 }),
      boardLaneCount: 16,
      user,
    });
    const section = failedByReasonSection(page);
    expect(section).toMatch(/As of 40s ago \(2026-12-08 09:59:20Z\)/);
    expect(section).toContain(`data-failed-as-of="${AT - 40_000}"`);
    expect(section).toContain('data-reason="expired"');
    // Also when there is none to show: "none" may be that old too.
    const empty = overviewPage({
      overview: overview({ failedByReason: [], failedByReasonAt: AT - 65_000 }),
      boardLaneCount: 16,
      user,
    });
    expect(failedByReasonSection(empty)).toMatch(/As of 1m 5s ago[\s\S]*No failed deliveries\./);
  });

  it('claims no age for failures read with the rest of the page', () => {
    const page = overviewPage({ overview: overview(), boardLaneCount: 16, user });
    expect(page).not.toContain('data-failed-as-of');
    expect(page).not.toContain('As of');
  });
});
