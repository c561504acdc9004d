/**
 * A token bucket for TDG calls whose waiters can give up. The `limiter` package this replaces could
 * not cancel a waiter: an attempt that timed out kept its place, spent a token when its turn came and
 * then sent its request after its caller had gone. Here a waiter leaves the queue the
 * moment its signal aborts or its deadline passes, never receives a token, and the tokens it would
 * have taken go to the next waiter, so the queue drains at `perSecond` whatever the burst.
 */
import { TdgThrottledError } from './errors.js';

export interface RateLimiterOptions {
  /** Tokens added per second. */
  perSecond: number;
  /** Most tokens held (the burst an idle client may send at once); default ceil(perSecond), at least 1. */
  burst?: number;
  /** Injectable clock; default Date.now (vitest's fake timers replace both it and setTimeout). */
  now?: () => number;
}

export interface TakeOptions {
  /** The caller's cancellation: the waiter leaves the queue at once and gets the abort reason. */
  signal?: AbortSignal;
  /**
   * Epoch ms after which a token is of no use to the caller: the wait ends with TdgThrottledError.
   * A token free at once is still taken when the deadline has passed (no wait is involved).
   */
  deadlineAt?: number;
}

export interface RateLimiter {
  /**
   * Takes a token only if one is free now and nobody is queued (queued callers keep their turn);
   * otherwise takes nothing and says how long until one would be.
   */
  tryTake(): { ok: true } | { ok: false; retryAfterMs: number };
  /**
   * Waits in FIFO order for a token. Rejects with the signal's reason on abort and with
   * TdgThrottledError when the deadline comes first (at once when it has already passed).
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
  const burst = options.burst ?? Math.max(1, Math.ceil(perSecond));
  if (!Number.isFinite(burst) || burst < 1) throw new RangeError(`burst must be at least 1, got ${burst}`);
  const now = options.now ?? Date.now;
  const msPerToken = 1000 / perSecond;

  // Starts full: an idle worker's first calls are not delayed.
  let tokens = burst;
  let refilledAt = now();
  const queue: Waiter[] = [];
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

  /** Hands free tokens to the queue's head, then sleeps until the next one if anyone still waits. */
  function drain(): void {
    refill();
    while (queue.length > 0 && tokens >= 1) {
      tokens -= 1;
      queue.shift()?.grant();
    }
    if (timer !== null) clearTimeout(timer);
    timer = queue.length > 0 ? setTimeout(onTimer, Math.max(1, msUntil(1))) : null;
  }

  function onTimer(): void {
    timer = null;
    drain();
  }

  return {
    tryTake() {
      refill();
      if (queue.length === 0 && tokens >= 1) {
        tokens -= 1;
        return { ok: true };
      }
      // Everyone queued is served first, one token each.
      return { ok: false, retryAfterMs: Math.max(1, msUntil(queue.length + 1)) };
    },

    take({ signal, deadlineAt } = {}) {
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      refill();
      if (queue.length === 0 && tokens >= 1) {
        tokens -= 1;
        return Promise.resolve();
      }
      if (deadlineAt !== undefined && deadlineAt <= now()) {
        return Promise.reject(tooLate(msUntil(queue.length + 1)));
      }
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
              reject(tooLate(msUntil(queue.length + 1)));
            },
            Math.max(0, deadlineAt - now()),
          );
        }
        queue.push(waiter);
        drain();
      });
    },

    get waiting() {
      return queue.length;
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
