/**
 * How much time one activity attempt gives its TDG call: when the attempt must be over, and how long
 * its request may wait for TDG. Pure, so the rules are unit-tested apart from Temporal.
 */
import { MAX_TDG_REQUEST_TIMEOUT_MS } from '../src/contract/index.js';

/** The part of an activity's Info these rules read. */
export interface AttemptTiming {
  startToCloseTimeoutMs: number;
  scheduleToCloseTimeoutMs: number;
  scheduledTimestampMs: number;
}

/** Room kept at the end of an attempt so its outcome is reported before the attempt's own timeout. */
export const REPORT_MARGIN_MS = 1_000;

/**
 * Epoch ms by which this attempt's TDG call must be over: the attempt's start-to-close from when it
 * started, or the activity's schedule-to-close if that comes first, less a reporting margin. A call
 * cut here fails with our own typed error; one cut by Temporal's timeout leaves its outcome unknown.
 */
export function attemptDeadlineAt(timing: AttemptTiming, startedAtMs: number): number | undefined {
  const ends: number[] = [];
  if (timing.startToCloseTimeoutMs > 0) ends.push(startedAtMs + timing.startToCloseTimeoutMs);
  const wholeEnd = timing.scheduledTimestampMs + timing.scheduleToCloseTimeoutMs;
  // A server never starts an attempt past its schedule-to-close, so an end already past is not real
  // information (a test's mock Info) and is ignored.
  if (timing.scheduleToCloseTimeoutMs > 0 && wholeEnd > startedAtMs) ends.push(wholeEnd);
  if (ends.length === 0) return undefined;
  const end = Math.min(...ends);
  const budget = end - startedAtMs;
  return end - Math.min(REPORT_MARGIN_MS, Math.floor(budget / 10));
}

/**
 * The request timeout of a TDG call: `overrideMs` when the workflow chose one (createJob after an
 * unknown outcome), else the configured timeout doubled per earlier attempt, so a TDG slower than
 * the configured timeout is eventually waited for (a retried getJob). Never above
 * MAX_TDG_REQUEST_TIMEOUT_MS, which fits one attempt.
 */
export function requestTimeoutMs(configuredMs: number, attempt: number, overrideMs?: number): number {
  const wanted =
    overrideMs !== undefined && Number.isFinite(overrideMs) && overrideMs > 0
      ? overrideMs
      : configuredMs * 2 ** Math.min(Math.max(0, attempt - 1), 10);
  return Math.max(1, Math.min(MAX_TDG_REQUEST_TIMEOUT_MS, Math.round(wanted)));
}
