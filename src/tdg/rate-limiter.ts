/**
 * A token bucket for TDG calls whose waiters can give up. The `limiter` package this replaces could
 * not cancel a waiter: an attempt that timed out kept its place, spent a token when its turn came and
 * then sent its request after its caller had gone. Here a waiter leaves the queue the
 * moment its signal aborts or its deadline passes, never receives a token, and the tokens it would
 * have taken go to the next waiter, so the queue drains at `perSecond` whatever the burst.
 *
 * Two classes of caller share it. An interactive call (a person waits: createJob, a manual check)
 * never queues behind a background one (the fleet's checks): it is served before every background
 * waiter, and `interactiveReserve` tokens stay in the bucket for it, since background callers may
 * only take a token that leaves that many behind. The reserve costs background calls none of the
 * rate, only that much of the burst: in steady state the bucket refills to the reserve and the next
 * token goes to the background queue as before. So that people cannot starve the fleet either,
 * while background callers wait at most `maxInteractiveStreak` interactive calls are served in a
 * row before one of them.
 */
import type { CallClass } from '../contract/priority.js';
import { TdgThrottledError } from './errors.js';

export interface RateLimiterOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens held (the burst an idle client may send at once); default ceil(perSecond), at least 1. */
  burst?: number;
  /** Injectable clock; default Date.now (vitest's fake timers replace both it and setTimeout). */
  now?: () => number;
  /**
   * Tokens background callers leave in the bucket for interactive ones (default 0: one queue). The
   * bucket holds at least one more than this, so background callers are never shut out.
   */
  interactiveReserve?: number;
  /** Interactive grants in a row while background callers wait, before one of them (default 3). */
  maxInteractiveStreak?: number;
}

export interface TakeOptions {
  /** The caller's cancellation: the waiter leaves the queue at once and gets the abort reason. */
  signal?: AbortSignal;
  /**
   * Epoch ms after which a token is of no use to the caller: the wait ends with TdgThrottledError.
   * A token free at once is still taken when the deadline has passed (no wait is involved).
   */
  deadlineAt?: number;
  /** Default `background`. */
  callClass?: CallClass;
}

export interface RateLimiter {
  /**
   * Takes a token only if this class may have one now without passing anyone queued ahead of it
   * (queued callers keep their turn); otherwise takes nothing and says how long until one would be.
   */
  tryTake(callClass?: CallClass): { ok: true } | { ok: false; retryAfterMs: number };
  /**
   * Waits for a token: FIFO within a class, interactive callers before background ones. Rejects with
   * the signal's reason on abort and with TdgThrottledError when the deadline comes first (at once
   * when it has already passed).
   */
  take(options?: TakeOptions): Promise<void>;
  /** Callers waiting now. */
  readonly waiting: number;
}

interface Waiter {
  grant: () => void;
  leave: () => void;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perSecond } = options;
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new RangeError(`perSecond must be a positive number, got ${perSecond}`);
  }
  const reserve = options.interactiveReserve ?? 0;
  if (!Number.isInteger(reserve) || reserve < 0) {
    throw new RangeError(`interactiveReserve must be a whole number ≥ 0, got ${reserve}`);
  }
  const maxStreak = options.maxInteractiveStreak ?? 3;
  if (!Number.isInteger(maxStreak) || maxStreak < 1) {
    throw new RangeError(`maxInteractiveStreak must be a whole number ≥ 1, got ${maxStreak}`);
  }
  const burst = Math.max(options.burst ?? Math.max(1, Math.ceil(perSecond)), reserve + 1);
  if (!Number.isFinite(burst) || burst < 1) throw new RangeError(`burst must be at least 1, got ${burst}`);
  const now = options.now ?? Date.now;
  const msPerToken = 1000 / perSecond;

  // Starts full: an idle worker's first calls are not delayed.
  let tokens = burst;
  let refilledAt = now();
  const queues: Record<CallClass, Waiter[]> = { interactive: [], background: [] };
  // Interactive grants since the last background one, counted only while background callers wait.
  let streak = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function refill(): void {
    const at = now();
    tokens = Math.min(burst, tokens + (at - refilledAt) / msPerToken);
    refilledAt = at;
  }

  /** Ms until `count` more tokens than held now have accumulated. */
  function msUntil(count: number): number {
    return Math.max(0, Math.ceil((count - tokens) * msPerToken));
  }

  /** Whether the background queue's head is owed the next token although interactive callers wait. */
  function backgroundsTurn(): boolean {
    return queues.background.length > 0 && streak >= maxStreak;
  }

  /** Whether a caller of this class, arriving now, may take a token at once. */
  function mayTakeNow(callClass: CallClass): boolean {
    if (callClass === 'interactive')
      return queues.interactive.length === 0 && tokens >= 1 && !backgroundsTurn();
    return queues.interactive.length === 0 && queues.background.length === 0 && tokens >= 1 + reserve;
  }

  function takeOne(callClass: CallClass): void {
    tokens -= 1;
    if (callClass === 'background') streak = 0;
    else if (queues.background.length > 0) streak += 1;
  }

  /** Ms until a caller of this class arriving now would be served, everyone queued ahead first. */
  function msUntilServed(callClass: CallClass): number {
    const ahead =
      queues.interactive.length + (callClass === 'background' ? queues.background.length + reserve : 0);
    return msUntil(ahead + 1);
  }

  /** Hands free tokens to the queues' heads, then sleeps until the next one if anyone still waits. */
  function drain(): void {
    refill();
    for (;;) {
      if (queues.interactive.length > 0 && tokens >= 1 && !backgroundsTurn()) {
        takeOne('interactive');
        queues.interactive.shift()?.grant();
      } else if (
        queues.background.length > 0 &&
        // Owed a turn, the background head takes a token the waiting interactive callers would take anyway.
        (backgroundsTurn() ? tokens >= 1 : queues.interactive.length === 0 && tokens >= 1 + reserve)
      ) {
        takeOne('background');
        queues.background.shift()?.grant();
      } else break;
    }
    if (timer !== null) clearTimeout(timer);
    const needed = queues.interactive.length > 0 ? 1 : queues.background.length > 0 ? 1 + reserve : 0;
    timer = needed > 0 ? setTimeout(onTimer, Math.max(1, msUntil(needed))) : null;
  }

  function onTimer(): void {
    timer = null;
    drain();
  }

  return {
    tryTake(callClass = 'background') {
      refill();
      if (mayTakeNow(callClass)) {
        takeOne(callClass);
        return { ok: true };
      }
      return { ok: false, retryAfterMs: Math.max(1, msUntilServed(callClass)) };
    },

    take({ signal, deadlineAt, callClass = 'background' } = {}) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      refill();
      if (mayTakeNow(callClass)) {
        takeOne(callClass);
        return Promise.resolve();
      }
      if (deadlineAt !== undefined && deadlineAt <= now()) {
        return Promise.reject(tooLate(msUntilServed(callClass)));
      }
      const queue = queues[callClass];
      return new Promise<void>((resolve, reject) => {
        let deadlineTimer: ReturnType<typeof setTimeout> | null = null;
        const cleanUp = (): void => {
          if (deadlineTimer !== null) clearTimeout(deadlineTimer);
          signal?.removeEventListener('abort', onAbort);
        };
        const waiter: Waiter = {
          grant: () => {
            cleanUp();
            resolve();
          },
          leave: () => {
            cleanUp();
            const index = queue.indexOf(waiter);
            if (index >= 0) queue.splice(index, 1);
            // The waiters behind may now be served sooner: recompute the timer.
            drain();
          },
        };
        const onAbort = (): void => {
          waiter.leave();
          reject(abortReason(signal as AbortSignal));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        if (deadlineAt !== undefined) {
          deadlineTimer = setTimeout(
            () => {
              waiter.leave();
              reject(tooLate(msUntilServed(callClass)));
            },
            Math.max(0, deadlineAt - now()),
          );
        }
        queue.push(waiter);
        drain();
      });
    },

    get waiting() {
      return queues.interactive.length + queues.background.length;
    },
  };
}

function tooLate(retryAfterMs: number): TdgThrottledError {
  return new TdgThrottledError(
    `no TDG call slot of this worker's rate limit was free in time; the request was not sent`,
    Math.max(1, retryAfterMs),
  );
}

/** The signal's reason (an activity's CancelledFailure) as is; anything else wrapped in an Error. */
function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error('The wait was cancelled', { cause: reason });
}
