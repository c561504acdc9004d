/**
 * The TDG request timeout's rule (activities/call-budget.ts): what the start-up check bounds, how a
 * retried attempt escalates, and the attempt's deadline that bounds the escalation. Pure functions;
 * the behaviour over real HTTP is in tdg-client.test.ts and activities.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { attemptDeadlineAt, escalatedRequestTimeoutMs, REPORT_MARGIN_MS } from '../activities/call-budget.js';
import { MAX_TDG_REQUEST_TIMEOUT_MS, TDG_ATTEMPT_TIMEOUT_MS } from '../src/contract/index.js';
import { requestTimeoutProblem, TDG_REQUESTS_PER_ATTEMPT } from '../src/tdg/index.js';

/** The longest TDG_REQUEST_TIMEOUT the worker accepts at start-up. */
const LONGEST_ACCEPTED_MS = Math.floor(TDG_ATTEMPT_TIMEOUT_MS / TDG_REQUESTS_PER_ATTEMPT);
const attempt = {
  startToCloseTimeoutMs: TDG_ATTEMPT_TIMEOUT_MS,
  scheduleToCloseTimeoutMs: 0,
  scheduledTimestampMs: 0,
};

describe('the TDG request timeout: start-up and run time agree', () => {
  it('the start-up check bounds exactly the first attempt: attempt 1 keeps the configured timeout', () => {
    expect(requestTimeoutProblem('T', LONGEST_ACCEPTED_MS, TDG_ATTEMPT_TIMEOUT_MS)).toBeUndefined();
    expect(requestTimeoutProblem('T', LONGEST_ACCEPTED_MS + 1, TDG_ATTEMPT_TIMEOUT_MS)).toBeDefined();
    for (const requestTimeoutMs of [100, 1_000, 7_000, LONGEST_ACCEPTED_MS]) {
      expect(escalatedRequestTimeoutMs(requestTimeoutMs, 1)).toBe(requestTimeoutMs);
      expect(requestTimeoutMs * TDG_REQUESTS_PER_ATTEMPT).toBeLessThanOrEqual(TDG_ATTEMPT_TIMEOUT_MS);
    }
  });

  it('a retried attempt doubles it per earlier attempt, up to MAX_TDG_REQUEST_TIMEOUT_MS', () => {
    expect([1, 2, 3, 4, 50].map((n) => escalatedRequestTimeoutMs(7_000, n))).toEqual([
      7_000,
      14_000,
      MAX_TDG_REQUEST_TIMEOUT_MS,
      MAX_TDG_REQUEST_TIMEOUT_MS,
      MAX_TDG_REQUEST_TIMEOUT_MS,
    ]);
    expect(escalatedRequestTimeoutMs(1_000, 3)).toBe(4_000);
  });

  it("the workflow's choice replaces the doubling, under the same cap; a senseless one is ignored", () => {
    expect(escalatedRequestTimeoutMs(7_000, 1, 20_000)).toBe(20_000);
    expect(escalatedRequestTimeoutMs(7_000, 3, 20_000)).toBe(20_000);
    expect(escalatedRequestTimeoutMs(7_000, 1, 60_000)).toBe(MAX_TDG_REQUEST_TIMEOUT_MS);
    for (const senseless of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(escalatedRequestTimeoutMs(7_000, 2, senseless)).toBe(14_000);
    }
  });

  it("the cap fits one attempt's deadline, with room left to wait for a rate-limit slot", () => {
    const deadlineAt = attemptDeadlineAt(attempt, 0);
    expect(deadlineAt).toBe(TDG_ATTEMPT_TIMEOUT_MS - REPORT_MARGIN_MS);
    expect(MAX_TDG_REQUEST_TIMEOUT_MS).toBeLessThan(deadlineAt ?? 0);
    // The cap never cuts a timeout the start-up check accepts.
    expect(MAX_TDG_REQUEST_TIMEOUT_MS).toBeGreaterThanOrEqual(LONGEST_ACCEPTED_MS);
  });

  it("the attempt's deadline: its start-to-close or the schedule-to-close, whichever comes first, less the margin", () => {
    expect(attemptDeadlineAt(attempt, 1_000)).toBe(1_000 + TDG_ATTEMPT_TIMEOUT_MS - REPORT_MARGIN_MS);
    const closing = { ...attempt, scheduleToCloseTimeoutMs: 12_000, scheduledTimestampMs: 0 };
    expect(attemptDeadlineAt(closing, 2_000)).toBe(12_000 - REPORT_MARGIN_MS);
    // A short attempt keeps a tenth of itself, not the whole margin.
    expect(attemptDeadlineAt({ ...attempt, startToCloseTimeoutMs: 2_000 }, 0)).toBe(1_800);
    expect(attemptDeadlineAt({ ...attempt, startToCloseTimeoutMs: 0 }, 0)).toBeUndefined();
  });
});
