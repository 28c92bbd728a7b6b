import { describe, expect, it } from 'vitest';
import { html } from './html.ts';
import { jobTitle, redactJobData } from './job-redaction.ts';
import { boardJobPath, laneBoardName, laneGroupPrefix, laneOfBoardName } from './lane-groups.ts';
import { safeNext } from './login-page.ts';

describe('html', () => {
  it('escapes every value but nested html', () => {
    const name = '<script>alert("x")</script>';
    const inner = html`<b>${'&'}</b>`;
    const render = html; // not named `html`, which Prettier would reformat as HTML
    const out = render`<td>${name}</td>${inner}${[1, '<']}`;
    expect(out.text).toBe(
      '<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td><b>&amp;</b>1&lt;',
    );
  });
});

describe('lane groups', () => {
  it('groups 16 lanes per menu entry and finds the lane back', () => {
    expect(laneGroupPrefix(7, 8)).toBe('lanes 0-7/');
    expect(laneGroupPrefix(17, 40)).toBe('lanes 16-31/');
    expect(laneGroupPrefix(39, 40)).toBe('lanes 32-39/');
    expect(laneOfBoardName('lanes 16-31/{lane-0017}', 40)).toBe(17);
    expect(laneOfBoardName(laneBoardName(39, 40), 40)).toBe(39);
    expect(laneOfBoardName('lanes 0-7/other', 8)).toBeUndefined();
  });

  it('finds no lane in a name Bull Board does not have', () => {
    // Past the lanes it has, in another group's name, or a number too long to be a lane.
    expect(laneOfBoardName('lanes 0-15/{lane-5000}', 16)).toBeUndefined();
    expect(laneOfBoardName('lanes 16-31/{lane-0003}', 40)).toBeUndefined();
    expect(laneOfBoardName('{lane-0003}', 16)).toBeUndefined();
    expect(laneOfBoardName(`lanes 0-15/{lane-${'9'.repeat(400)}}`, 16)).toBeUndefined();
  });

  it('builds the page address of a job', () => {
    expect(boardJobPath('/queues', 'lanes 0-7/{lane-0002}', 'a b')).toBe(
      '/queues/queue/lanes%200-7%2F%7Blane-0002%7D/a%20b',
    );
  });
});

describe('job redaction', () => {
  it('keeps who and when, never values, user metadata or indexes', () => {
    const data = {
      id: 'c1',
      lane: 2,
      receivedAt: '2026-11-24T12:00:00.000Z',
      commit: {
        bucketType: 'default',
        bucket: { base64: '//4=' },
        key: 'order-1',
        op: 'put' as const,
        siblings: [
          {
            value: Buffer.from('secret card').toString('base64'),
            contentType: 'application/json',
            usermeta: { owner: 'alice' },
            indexes: { email_bin: ['a@example.com'] },
          },
        ],
      },
    };
    const shown = redactJobData(data);
    expect(shown).toEqual({
      id: 'c1',
      lane: 2,
      receivedAt: '2026-11-24T12:00:00.000Z',
      commit: {
        bucketType: 'default',
        bucket: 'base64://4=',
        key: 'order-1',
        op: 'put',
        siblings: '[redacted: 1 sibling: 11 bytes application/json]',
      },
    });
    expect(JSON.stringify(shown)).not.toMatch(/alice|example\.com|c2VjcmV0/);
    expect(jobTitle(data)).toBe('base64://4=/order-1');
    expect(jobTitle(undefined)).toBe('commit');
  });
});

describe('safeNext', () => {
  it('only goes to a path of this site after sign-in', () => {
    expect(safeNext('/queues/queue/x')).toBe('/queues/queue/x');
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 5, undefined]) {
      expect(safeNext(bad)).toBe('/deliveries');
    }
  });
});
