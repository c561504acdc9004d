import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLLING_POLICY,
  intervalCapMs,
  nextPollDelayMs,
  resolvePollingPolicy,
} from '../workflows/schedule.js';

const noJitter = { ...DEFAULT_POLLING_POLICY, jitter: 0 };
const mid = (): number => 0.5;

describe('polling schedule', () => {
  it('starts short and grows by the factor up to the cap', () => {
    const delays = Array.from({ length: 20 }, (_, stableChecks) =>
      nextPollDelayMs(noJitter, { stableChecks, notificationsWorking: false }, mid),
    );
    expect(delays[0]).toBe(5_000);
    expect(delays[1]).toBe(8_000);
    expect(delays[2]).toBe(12_800);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(delays.at(-1)).toBe(noJitter.maxIntervalMs);
  });

  it('notification-first: polls are the safety net from the start, at the cap without notifications', () => {
    const first = { stableChecks: 0, notificationsWorking: false, notificationsRequested: true };
    expect(nextPollDelayMs(noJitter, first, mid)).toBe(noJitter.maxIntervalMs);
    expect(nextPollDelayMs(noJitter, { ...first, stableChecks: 50 }, mid)).toBe(noJitter.maxIntervalMs);
    // Once notifications arrive the safety net grows towards the longer cap.
    const working = { ...first, notificationsWorking: true };
    expect(nextPollDelayMs(noJitter, working, mid)).toBe(noJitter.maxIntervalMs);
    expect(nextPollDelayMs(noJitter, { ...working, stableChecks: 100 }, mid)).toBe(
      noJitter.maxIntervalWithNotificationsMs,
    );
  });

  it('uses the longer cap once notifications are known to work', () => {
    const late = { stableChecks: 100, notificationsWorking: true };
    expect(nextPollDelayMs(noJitter, late, mid)).toBe(noJitter.maxIntervalWithNotificationsMs);
    expect(intervalCapMs(noJitter, late)).toBe(noJitter.maxIntervalWithNotificationsMs);
    expect(nextPollDelayMs(noJitter, { ...late, notificationsWorking: false }, mid)).toBe(
      noJitter.maxIntervalMs,
    );
  });

  it('starts from the notification floor once notifications arrive, still within the cap', () => {
    const working = { stableChecks: 0, notificationsWorking: true };
    expect(nextPollDelayMs(noJitter, working, mid)).toBe(noJitter.minIntervalWithNotificationsMs);
    expect(nextPollDelayMs(noJitter, { ...working, stableChecks: 2 }, mid)).toBe(153_600);
    const smallCap = { ...noJitter, maxIntervalWithNotificationsMs: 30_000, maxIntervalMs: 30_000 };
    expect(nextPollDelayMs(smallCap, working, mid)).toBe(30_000);
    const noFloor = { ...noJitter, minIntervalWithNotificationsMs: 0 };
    expect(nextPollDelayMs(noFloor, working, mid)).toBe(noJitter.initialIntervalMs);
    expect(() => resolvePollingPolicy({ minIntervalWithNotificationsMs: -1 })).toThrow(
      /minIntervalWithNotificationsMs/,
    );
  });

  it('spreads by ±jitter but never above the cap', () => {
    const policy = { ...DEFAULT_POLLING_POLICY, jitter: 0.2 };
    expect(nextPollDelayMs(policy, { stableChecks: 0, notificationsWorking: false }, () => 0)).toBe(4_000);
    expect(nextPollDelayMs(policy, { stableChecks: 0, notificationsWorking: false }, () => 0.999999)).toBe(
      6_000,
    );
    for (let r = 0; r < 1; r += 0.05) {
      expect(
        nextPollDelayMs(policy, { stableChecks: 50, notificationsWorking: false }, () => r),
      ).toBeLessThanOrEqual(policy.maxIntervalMs);
    }
  });

  it('is deterministic for the same random source', () => {
    const seq = (): (() => number) => {
      let x = 0.1;
      return () => (x = (x * 9301 + 0.49297) % 1);
    };
    const a = seq();
    const b = seq();
    for (let i = 0; i < 10; i++) {
      const state = { stableChecks: i, notificationsWorking: false };
      expect(nextPollDelayMs(DEFAULT_POLLING_POLICY, state, a)).toBe(
        nextPollDelayMs(DEFAULT_POLLING_POLICY, state, b),
      );
    }
  });

  it('rejects policies that cannot make sense', () => {
    expect(() => resolvePollingPolicy({ initialIntervalMs: 10 })).toThrow(/initialIntervalMs/);
    expect(() => resolvePollingPolicy({ backoffFactor: 0.5 })).toThrow(/backoffFactor/);
    expect(() => resolvePollingPolicy({ maxIntervalMs: 1_000 })).toThrow(/maxIntervalMs/);
    expect(() => resolvePollingPolicy({ jitter: 1 })).toThrow(/jitter/);
    expect(resolvePollingPolicy({ initialIntervalMs: 1_000 }).initialIntervalMs).toBe(1_000);
  });
});
