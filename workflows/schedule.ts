/**
 * The polling schedule, as a pure function so it can be unit-tested and reasoned about
 * without a server. Deterministic given its random source (the workflow's seeded PRNG).
 */
import { DEFAULT_POLLING_POLICY, pollingPolicyProblems, type PollingPolicy } from '../src/contract/index.js';

export { DEFAULT_POLLING_POLICY };

export interface ScheduleState {
  /** Checks since the job's state last changed (0 right after creation or a change). */
  stableChecks: number;
  /** True once a notification has arrived for this job: polling is then only a safety net. */
  notificationsWorking: boolean;
  /**
   * The job was created with a notification URL and waits notification-first: polls are only the
   * safety net from the start, so they start at the cap without notifications (`maxIntervalMs`).
   */
  notificationsRequested?: boolean;
}

/** The defaults with `overrides` applied; throws a RangeError naming every problem. */
export function resolvePollingPolicy(overrides: Partial<PollingPolicy> = {}): PollingPolicy {
  const policy = { ...DEFAULT_POLLING_POLICY, ...overrides };
  const problems = pollingPolicyProblems(policy);
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
  const start = state.notificationsRequested
    ? Math.min(Math.max(policy.maxIntervalMs, policy.minIntervalWithNotificationsMs), cap)
    : state.notificationsWorking
      ? Math.min(Math.max(policy.initialIntervalMs, policy.minIntervalWithNotificationsMs), cap)
      : policy.initialIntervalMs;
  const exponent = Math.min(state.stableChecks, 200);
  const base = Math.min(start * policy.backoffFactor ** exponent, cap);
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.round(Math.min(base * spread, cap));
}
