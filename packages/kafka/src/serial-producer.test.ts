import { deadlineClock, type KafkaRecord } from '@commitlog/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ABANDON_WAIT_MS, serialProducer, type ProduceRequest } from './serial-producer.ts';

const record: KafkaRecord = { topic: 't', key: Buffer.from('k'), value: null, headers: {} };

/** A client whose sends settle only when the test says, and that counts what it was asked. */
function heldClient() {
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const calls: string[] = [];
  const client: ProduceRequest = {
    sendNow() {
      calls.push('send');
      return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
    },
    abandon() {
      calls.push('abandon');
      // As a closed client does: its request in flight fails.
      for (const p of pending.splice(0)) p.reject(new Error('client closed'));
      return Promise.resolve();
    },
    isConnected: () => true,
    reach: () => Promise.resolve(true),
    disconnect: () => Promise.resolve(),
  };
  return { client, calls, pending };
}

describe('serial producer, settle-by time', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('abandons a send unacknowledged by its settle-by time, then sends the next on a fresh client', async () => {
    const { client, calls, pending } = heldClient();
    const producer = serialProducer(client);
    const first = producer.send([record], { settleBy: deadlineClock.now() + 5_000 });
    const outcome = first.then(
      () => 'resolved',
      (e: unknown) => (e as { code?: string }).code,
    );
    await vi.advanceTimersByTimeAsync(4_999);
    expect(calls).toEqual(['send']);
    await vi.advanceTimersByTimeAsync(1);
    expect(await outcome).toBe('SEND_ABANDONED');
    await expect(first).rejects.toMatchObject({ retriable: true });
    expect(calls).toEqual(['send', 'abandon']);

    const second = producer.send([record], { settleBy: deadlineClock.now() + 5_000 });
    await vi.advanceTimersByTimeAsync(0);
    pending.shift()?.resolve();
    await expect(second).resolves.toBeUndefined();
    expect(calls).toEqual(['send', 'abandon', 'send']);
  });

  it('keeps its settle-by time when the wall clock is set back meanwhile', async () => {
    const { client, calls } = heldClient();
    const producer = serialProducer(client);
    // The worker took the job 5 s before its lock's guard ends; then NTP steps the clock back a
    // minute before the send starts. On the wall clock the guard would be stretched by that
    // minute, and a late copy could land after another worker's delivery.
    const settleBy = deadlineClock.now() + 5_000;
    vi.setSystemTime(Date.now() - 60_000);
    const sent = producer.send([record], { settleBy });
    const outcome = sent.then(
      () => 'resolved',
      (e: unknown) => (e as { code?: string }).code,
    );
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await outcome).toBe('SEND_ABANDONED');
    expect(calls).toEqual(['send', 'abandon']);
  });

  it('gives up the client of a send that failed, and sends the next on a fresh one', async () => {
    const { client, calls, pending } = heldClient();
    const producer = serialProducer(client);
    const first = producer.send([record], { settleBy: deadlineClock.now() + 5_000 });
    await vi.advanceTimersByTimeAsync(0);
    pending.shift()?.reject(new Error('Request timed out'));
    await expect(first).rejects.toThrow('Request timed out');
    expect(calls).toEqual(['send', 'abandon']);

    const second = producer.send([record], { settleBy: deadlineClock.now() + 5_000 });
    await vi.advanceTimersByTimeAsync(0);
    pending.shift()?.resolve();
    await expect(second).resolves.toBeUndefined();
    expect(calls).toEqual(['send', 'abandon', 'send']);
  });

  it('does not let a client that never finishes closing hold the sends that follow', async () => {
    const { client, calls, pending } = heldClient();
    client.abandon = () => {
      calls.push('abandon');
      for (const p of pending.splice(0)) p.reject(new Error('client closed'));
      return new Promise<void>(() => undefined);
    };
    const producer = serialProducer(client);
    const first = producer.send([record], { settleBy: deadlineClock.now() + 1_000 });
    const outcome = first.then(
      () => 'resolved',
      (e: unknown) => (e as { code?: string }).code,
    );
    await vi.advanceTimersByTimeAsync(1_000 + ABANDON_WAIT_MS);
    expect(await outcome).toBe('SEND_ABANDONED');
    const second = producer.send([record], { settleBy: deadlineClock.now() + 5_000 });
    await vi.advanceTimersByTimeAsync(0);
    pending.shift()?.resolve();
    await expect(second).resolves.toBeUndefined();
    expect(calls).toEqual(['send', 'abandon', 'send']);
  });

  it('does not start a send whose settle-by time passed while it waited for its turn', async () => {
    const { client, calls, pending } = heldClient();
    const producer = serialProducer(client);
    const first = producer.send([record]);
    const second = producer.send([record], { settleBy: deadlineClock.now() + 1_000 });
    const secondOutcome = second.catch((e: unknown) => (e as { code?: string }).code);
    await vi.advanceTimersByTimeAsync(2_000);
    pending.shift()?.resolve();
    await first;
    expect(await secondOutcome).toBe('SEND_TOO_LATE');
    expect(calls).toEqual(['send']);
  });

  it('leaves a send acknowledged in time alone, and one without a settle-by time unbounded', async () => {
    const { client, calls, pending } = heldClient();
    const producer = serialProducer(client);
    const timed = producer.send([record], { settleBy: deadlineClock.now() + 1_000 });
    await vi.advanceTimersByTimeAsync(999);
    pending.shift()?.resolve();
    await expect(timed).resolves.toBeUndefined();
    const open = producer.send([record]);
    await vi.advanceTimersByTimeAsync(60_000);
    pending.shift()?.resolve();
    await expect(open).resolves.toBeUndefined();
    expect(calls).toEqual(['send', 'send']);
  });
});
