import { describe, expect, it } from 'vitest';
import { stepMetrics } from './step-metrics.ts';

const sent = (n: number, intendedAt: number, answeredAt: number, status = 202) => ({
  n,
  intendedAt,
  answeredAt,
  status,
  id: status === 202 ? `c${n}` : undefined,
});
const stamp = (id: string, timestampMs: number) => ({ topic: 't', id, timestampMs });

describe('step metrics', () => {
  it('measures from the intended time, counts lost and duplicates, and the end backlog', () => {
    const m = stepMetrics(
      [sent(1, 0, 2), sent(2, 10, 13), sent(3, 20, 21), sent(4, 30, 31, 503), sent(5, 900, 905)],
      [stamp('c1', 5), stamp('c2', 17), stamp('c2', 40), stamp('c3', 26)],
      { start: 0, end: 1000 },
    );
    expect(m).toMatchObject({
      sent: 5,
      accepted: 4,
      refused: 1,
      acceptedPerS: 4,
      // c1, c2 and c3: the second copy of c2 is not a delivery, and c5 never reached Kafka.
      deliveredPerS: 3,
      lost: 1,
      duplicates: 1,
      backlogAtEnd: 1,
    });
    expect(m.commitToKafka.count).toBe(3);
    // Kafka's whole-millisecond append times, read as the middle of their millisecond.
    expect(m.commitToKafka.p50).toBe(6.5);
    expect(m.commitToKafka.max).toBe(7.5);
    expect(m.accept.max).toBe(5);
  });

  it('sees a backlog when stores lag behind accepts at the end of the step', () => {
    const m = stepMetrics(
      [sent(1, 0, 1), sent(2, 1, 2), sent(3, 2, 3)],
      [stamp('c1', 5), stamp('c2', 1500), stamp('c3', 1600)],
      { start: 0, end: 1000 },
    );
    expect(m.backlogAtEnd).toBe(2);
    expect(m.deliveredPerS).toBe(1);
    expect(m.lost).toBe(0);
  });

  it('takes neither late answers as accepted within the step nor unanswered commits as no backlog', () => {
    // 1,000 requests offered over 1 s to a server that answers 500/s; each stored 1 ms after its
    // answer. By the end of the step it had answered 501 and stored 500: the other 500 it had not
    // even answered are backlog, and it took 501/s, not the 1,000/s offered.
    const offered = Array.from({ length: 1000 }, (_, i) => sent(i, i, 2 * i));
    const m = stepMetrics(
      offered,
      offered.map((s) => stamp(`c${s.n}`, s.answeredAt + 1)),
      { start: 0, end: 1000 },
    );
    expect(m).toMatchObject({ accepted: 1000, acceptedPerS: 501, deliveredPerS: 500, lost: 0 });
    expect(m.backlogAtEnd).toBe(500);
  });

  it('counts each commit once: a duplicate does not hide a commit that never reached Kafka', () => {
    const m = stepMetrics([sent(1, 0, 1), sent(2, 1, 2)], [stamp('c1', 5), stamp('c1', 6)], {
      start: 0,
      end: 1000,
    });
    expect(m).toMatchObject({ deliveredPerS: 1, backlogAtEnd: 1, lost: 1, duplicates: 1 });
    // Nor does a commit in Kafka whose request was not answered 2xx (here its answer was lost).
    const lostAnswer = { n: 3, intendedAt: 2, answeredAt: 3, status: 0, id: undefined };
    const n = stepMetrics(
      [sent(1, 0, 1), sent(2, 1, 2), lostAnswer],
      [stamp('c1', 5), stamp('c3', 6)],
      { start: 0, end: 1000 },
    );
    expect(n).toMatchObject({ deliveredPerS: 2, backlogAtEnd: 1, lost: 1, duplicates: 0 });
  });

  it('counts as lost an accepted answer that stands for no commit of its own', () => {
    // Every commit the bench sends is a different one: an ingest whose ids collide would answer
    // a new commit with an earlier one's id (duplicate: true) and deliver nothing of it.
    const m = stepMetrics(
      [
        sent(1, 0, 1),
        { ...sent(2, 1, 2), id: 'c1', duplicate: true },
        { ...sent(3, 2, 3), id: 'c1' },
        sent(4, 3, 4),
      ],
      [stamp('c1', 5), stamp('c4', 6)],
      { start: 0, end: 1000 },
    );
    expect(m).toMatchObject({ accepted: 4, lost: 2, duplicates: 0 });
  });
});
