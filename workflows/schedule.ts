/**
 * The polling schedule, as a pure function so it can be unit-tested and reasoned about
 * without a server. Deterministic given its random source (the workflow's seeded PRNG).
 */
import type { PollingPolicy } from '../src/contract/index.js';

export const DEFAULT_POLLING_POLICY: PollingPolicy = {
  initialIntervalMs: 5_000,
  backoffFactor: 1.6,
  maxIntervalMs: 10 * 60_000,
  maxIntervalWithNotificationsMs: 60 * 60_000,
  minIntervalWithNotificationsMs: 60_000,
  jitter: 0.1,
  minHintSpacingMs: 1_000,
};

export interface ScheduleState {
  /** Checks since the job's state last changed (0 right after creation or a change). */
  stableChecks: number;
  /** True once a notification has arrived for this job: polling is then only a safety net. */
  notificationsWorking: boolean;
  /**
   * The job was created with a notification URL and waits notification-first: polls are only the
   * safety net from the start, so they start at the cap without notifications (`maxIntervalMs`).
   */
  notificationFirst?: boolean;
}

export function resolvePollingPolicy(overrides: Partial<PollingPolicy> = {}): PollingPolicy {
  const policy = { ...DEFAULT_POLLING_POLICY, ...overrides };
  const problems: string[] = [];
  if (!(policy.initialIntervalMs >= 100)) problems.push('initialIntervalMs must be ≥ 100');
  if (!(policy.backoffFactor >= 1 && policy.backoffFactor <= 10))
    problems.push('backoffFactor must be in 1..10');
  if (!(policy.maxIntervalMs >= policy.initialIntervalMs))
    problems.push('maxIntervalMs must be ≥ initialIntervalMs');
  if (!(policy.maxIntervalWithNotificationsMs >= policy.maxIntervalMs)) {
    problems.push('maxIntervalWithNotificationsMs must be ≥ maxIntervalMs');
  }
  if (!(policy.minIntervalWithNotificationsMs >= 0))
    problems.push('minIntervalWithNotificationsMs must be ≥ 0');
  if (!(policy.jitter >= 0 && policy.jitter < 1)) problems.push('jitter must be in [0, 1)');
  if (!(policy.minHintSpacingMs >= 0 && policy.minHintSpacingMs <= 60_000))
    problems.push('minHintSpacingMs must be in 0..60000');
  if (problems.length > 0) throw new RangeError(`invalid polling policy: ${problems.join('; ')}`);
  return policy;
}

/** The cap the next interval may not exceed in the given state. */
export function intervalCapMs(policy: PollingPolicy, state: ScheduleState): number {
  return state.notificationsWorking ? policy.maxIntervalWithNotificationsMs : policy.maxIntervalMs;
}

/**
 * Delay before the next `getJob`: start × factor^stableChecks, capped, then spread by
 * ±jitter (still never above the cap, so the cap is a hard bound on detection delay when
 * notifications are lost). The start is the initial interval, or the notification floor once
 * notifications arrive: every change will then be announced, and a poll only guards against
 * a lost notification, so polling every few seconds would buy nothing.
 */
export function nextPollDelayMs(policy: PollingPolicy, state: ScheduleState, random: () => number): number {
  const cap = intervalCapMs(policy, state);
  const start = state.notificationFirst
    ? Math.min(Math.max(policy.maxIntervalMs, policy.minIntervalWithNotificationsMs), cap)
    : state.notificationsWorking
      ? Math.min(Math.max(policy.initialIntervalMs, policy.minIntervalWithNotificationsMs), cap)
      : policy.initialIntervalMs;
  const exponent = Math.min(state.stableChecks, 200);
  const base = Math.min(start * policy.backoffFactor ** exponent, cap);
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(base * spread, cap));
}
