import { describe, expect, it } from 'vitest';
import { PRIMER_COMMITS, sendPrimers, withoutPrimers } from './step-primer.ts';

const stamp = (id: string | undefined) => ({ topic: 't', id, timestampMs: 1 });

describe('sendPrimers', () => {
  it('sends every primer at once and keeps the ids of those accepted', async () => {
    const sent: number[] = [];
    let inFlight = 0;
    let most = 0;
    const { ids, unvouched } = await sendPrimers(async (n) => {
      sent.push(n);
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return n % 2 === 0 ? { status: 202, id: `c${n}` } : { status: 503, id: undefined };
    }, 100);
    expect(sent).toEqual(Array.from({ length: PRIMER_COMMITS }, (_, i) => 100 + i));
    expect(most).toBe(PRIMER_COMMITS);
    expect(ids).toHaveLength(PRIMER_COMMITS / 2);
    expect(ids[0]).toBe('c100');
    expect(unvouched).toBe(0);
  });

  it('counts an accepted answer that vouches for no primer of its own: no id, duplicate, or taken id', async () => {
    const answers: Record<number, { status: number; id: string | undefined; duplicate?: boolean }> =
      {
        0: { status: 202, id: undefined },
        1: { status: 202, id: 'c1', duplicate: true },
        2: { status: 202, id: 'c3' },
        3: { status: 202, id: 'c3' },
      };
    const { ids, unvouched } = await sendPrimers(
      (n) => Promise.resolve(answers[n] ?? { status: 202, id: `c${n}` }),
      0,
    );
    expect(unvouched).toBe(3);
    expect(ids).toHaveLength(PRIMER_COMMITS - 3);
  });
});

describe('withoutPrimers', () => {
  it('drops the primers from the stamps, counts those Kafka lacks and their extra copies', () => {
    const stamps = [stamp('a'), stamp('p1'), stamp('b'), stamp('p1'), stamp(undefined)];
    const { stamps: rest, lostPrimers, primerDuplicates } = withoutPrimers(stamps, ['p1', 'p2']);
    expect(rest.map((s) => s.id)).toEqual(['a', 'b', undefined]);
    expect(lostPrimers).toBe(1);
    expect(primerDuplicates).toBe(1);
    const once = withoutPrimers([stamp('p1'), stamp('p2')], ['p1', 'p2']);
    expect(once).toMatchObject({ lostPrimers: 0, primerDuplicates: 0 });
  });
});
