/**
 * The TDG client's token bucket, on vitest's fake clock: pacing, FIFO, and above all that a waiter
 * who gives up (abort or deadline) leaves at once and costs no token (no livelock under a rate limit);
 * then the reserved share for people: an interactive call never queues behind background ones, and
 * background ones keep their share.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TdgThrottledError } from '../src/tdg/errors.js';
import { createRateLimiter } from '../src/tdg/rate-limiter.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Starts `count` takes and records when each is granted (ms after the start) or how it failed. */
function race(
  limiter: ReturnType<typeof createRateLimiter>,
  count: number,
  options: (i: number) => Parameters<ReturnType<typeof createRateLimiter>['take']>[0] = () => ({}),
): { granted: Map<number, number>; failed: Map<number, unknown> } {
  const start = Date.now();
  const granted = new Map<number, number>();
  const failed = new Map<number, unknown>();
  for (let i = 0; i < count; i++) {
    limiter.take(options(i)).then(
      () => granted.set(i, Date.now() - start),
      (err: unknown) => failed.set(i, err),
    );
  }
  return { granted, failed };
}

describe('rate limiter', () => {
  it('grants a full burst at once, then one token per 1/perSecond, in arrival order', async () => {
    const limiter = createRateLimiter({ perSecond: 4 });
    const { granted } = race(limiter, 10);
    await vi.advanceTimersByTimeAsync(2_000);
    expect([...granted.entries()].sort((a, b) => a[0] - b[0]).map(([, at]) => at)).toEqual([
      0, 0, 0, 0, 250, 500, 750, 1000, 1250, 1500,
    ]);
  });

  it('an aborted waiter leaves at once with its reason, and its token goes to the next waiter', async () => {
    const limiter = createRateLimiter({ perSecond: 1 });
    const controllers = Array.from({ length: 6 }, () => new AbortController());
    const { granted, failed } = race(limiter, 6, (i) => ({ signal: controllers[i]!.signal }));
    await vi.advanceTimersByTimeAsync(10);
    expect([...granted.keys()]).toEqual([0]);
    const reason = new Error('activity cancelled');
    // Waiters 1..4 give up; waiter 5 must get the very next token (1 s), not the fifth (5 s).
    for (const i of [1, 2, 3, 4]) controllers[i]!.abort(reason);
    await vi.advanceTimersByTimeAsync(0);
    expect([...failed.values()]).toEqual([reason, reason, reason, reason]);
    expect(limiter.waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(granted.get(5)).toBe(1_000);
    // No token was spent on the four: the bucket refills to one in one more second.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(limiter.tryTake()).toEqual({ ok: true });
  });

  it('a waiter whose deadline passes fails with TdgThrottledError and takes nothing', async () => {
    const limiter = createRateLimiter({ perSecond: 1 });
    const { granted, failed } = race(limiter, 3, (i) => (i === 1 ? { deadlineAt: Date.now() + 300 } : {}));
    await vi.advanceTimersByTimeAsync(300);
    expect(failed.get(1)).toBeInstanceOf(TdgThrottledError);
    expect((failed.get(1) as TdgThrottledError).retryAfterMs).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(700);
    // Waiter 2 inherits waiter 1's place: served at 1 s.
    expect(granted.get(2)).toBe(1_000);
  });

  it('drains at the configured rate whatever the burst, with most waiters giving up', async () => {
    const limiter = createRateLimiter({ perSecond: 2 });
    // 1,000 callers, each willing to wait 5 s: the burst of 2 plus 2/s.
    const { granted, failed } = race(limiter, 1_000, () => ({ deadlineAt: Date.now() + 5_000 }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(granted.size).toBe(2 + 10);
    expect(failed.size).toBe(1_000 - 12);
    expect(limiter.waiting).toBe(0);
    // Afterwards the bucket is as an idle one: full again after a second, not in debt.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(limiter.tryTake()).toEqual({ ok: true });
    expect(limiter.tryTake()).toEqual({ ok: true });
    expect(limiter.tryTake().ok).toBe(false);
  });

  it('tryTake never queues and never jumps the queue; it says when a token will be free', async () => {
    const limiter = createRateLimiter({ perSecond: 2 });
    expect(limiter.tryTake()).toEqual({ ok: true });
    expect(limiter.tryTake()).toEqual({ ok: true });
    expect(limiter.tryTake()).toEqual({ ok: false, retryAfterMs: 500 });
    const { granted } = race(limiter, 1);
    await vi.advanceTimersByTimeAsync(500);
    expect(granted.get(0)).toBe(500);
    // One waiter queued behind an empty bucket: a local caller is told to come back after it.
    const { granted: queued } = race(limiter, 1);
    expect(limiter.tryTake()).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect(limiter.waiting).toBe(1);
    // The token has accrued but the timer that hands it over has not run yet (a busy event loop):
    // it belongs to the queued caller, not to a tryTake that comes first.
    vi.setSystemTime(Date.now() + 500);
    expect(limiter.tryTake().ok).toBe(false);
    await vi.advanceTimersByTimeAsync(500);
    expect(queued.size).toBe(1);
  });

  it('a take whose deadline already passed still takes a token that is free at once', async () => {
    const limiter = createRateLimiter({ perSecond: 1 });
    await expect(limiter.take({ deadlineAt: Date.now() - 1 })).resolves.toBeUndefined();
    await expect(limiter.take({ deadlineAt: Date.now() - 1 })).rejects.toBeInstanceOf(TdgThrottledError);
  });

  it('an already aborted signal is refused before any token is taken', async () => {
    const limiter = createRateLimiter({ perSecond: 1 });
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(limiter.take({ signal: controller.signal })).rejects.toThrow('gone');
    expect(limiter.tryTake()).toEqual({ ok: true });
  });
});

describe('rate limiter: a reserved share for interactive calls', () => {
  /** A burst of background checks is queued (10 at 2/s), then a person's call arrives 100 ms later. */
  async function personBehindBurst(
    limiter: ReturnType<typeof createRateLimiter>,
    person: Parameters<ReturnType<typeof createRateLimiter>['take']>[0],
  ): Promise<{ personAt: number | undefined; background: Map<number, number> }> {
    const { granted: background } = race(limiter, 10, () => ({ callClass: 'background' }));
    await vi.advanceTimersByTimeAsync(100);
    const { granted } = race(limiter, 1, () => person);
    await vi.advanceTimersByTimeAsync(10_000);
    return { personAt: granted.get(0), background };
  }

  it('an interactive call takes the reserved token at once, ahead of every queued background call', async () => {
    const limiter = createRateLimiter({ perSecond: 2, interactiveReserve: 1 });
    const { personAt, background } = await personBehindBurst(limiter, { callClass: 'interactive' });
    expect(personAt).toBe(0);
    // The background calls lose the person's token and nothing else: then one every 500 ms, the full rate.
    expect([...background.values()]).toEqual([0, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000]);
  });

  it('negative control: the same call as a background one waits behind the whole burst', async () => {
    const limiter = createRateLimiter({ perSecond: 2, interactiveReserve: 1 });
    const { personAt } = await personBehindBurst(limiter, { callClass: 'background' });
    expect(personAt).toBeGreaterThanOrEqual(4_500);
  });

  it('a second interactive call waits only for the next token, still ahead of the background queue', async () => {
    const limiter = createRateLimiter({ perSecond: 2, interactiveReserve: 1 });
    const { granted: background } = race(limiter, 5, () => ({ callClass: 'background' }));
    const { granted: people } = race(limiter, 2, () => ({ callClass: 'interactive' }));
    await vi.advanceTimersByTimeAsync(5_000);
    expect([...people.values()]).toEqual([0, 500]);
    // The reserve refills first (1.5 s), then the background queue drains at the full rate.
    expect([...background.values()]).toEqual([0, 1500, 2000, 2500, 3000]);
  });

  it('background calls keep a share under a flood of interactive ones: never more than 3 people in a row', async () => {
    const limiter = createRateLimiter({ perSecond: 4, interactiveReserve: 1 });
    const order: string[] = [];
    for (let i = 0; i < 8; i++) void limiter.take({ callClass: 'background' }).then(() => order.push('b'));
    for (let i = 0; i < 20; i++) void limiter.take({ callClass: 'interactive' }).then(() => order.push('i'));
    await vi.advanceTimersByTimeAsync(10_000);
    // The burst less the reserve goes to background calls, then people and background calls 3:1
    // until no background call waits.
    expect(order.join('')).toBe(`bbb${'iiib'.repeat(5)}iiiii`);
  });

  it('tryTake: a background caller leaves the reserve; an interactive one may take it', () => {
    const limiter = createRateLimiter({ perSecond: 2, interactiveReserve: 1 });
    expect(limiter.tryTake('background')).toEqual({ ok: true });
    expect(limiter.tryTake('background')).toEqual({ ok: false, retryAfterMs: 500 });
    expect(limiter.tryTake('interactive')).toEqual({ ok: true });
    expect(limiter.tryTake('interactive')).toEqual({ ok: false, retryAfterMs: 500 });
  });

  it('refuses a reserve that is not a whole number', () => {
    expect(() => createRateLimiter({ perSecond: 2, interactiveReserve: 0.5 })).toThrow(RangeError);
  });
});
