import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import {
  hintedStateOf,
  type CarriedState,
  type EmailAppendJobInput,
  type JobSnapshot,
} from '../src/contract/index.js';
import { MAX_DEADLINE_MS, runPolicy, validateInput } from '../workflows/input.js';
import {
  DEFAULT_DEADLINE_MS,
  MAX_TIMELINE_ENTRIES,
  carriedOf,
  hasJob,
  initialState,
  recordCheck,
  recordCheckFailure,
  recordNotification,
  remainingMs,
  resultOf,
  statusOf,
  type CreatedJobState,
} from '../workflows/job-state.js';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const input: EmailAppendJobInput = { name: 'job' };

function snapshot(state: string, completed = 0, missingFields: string[] = []): JobSnapshot {
  return {
    jobId: 'j1',
    state,
    counts: { waitingForUpload: 0, queued: 0, inProgress: 3 - completed, completed, failed: 0, malformed: 0 },
    createdDate: null,
    outputFormat: 'JSON',
    batchList: [],
    missingFields,
  };
}

function created(): CreatedJobState {
  return Object.assign(initialState(input, 'wf-1', NOW), { jobId: 'j1', notificationsRequested: true });
}

describe('job state', () => {
  it('starts a first run from the input and the clock', () => {
    const state = initialState({ ...input, deadlineMs: 60_000 }, 'wf-1', NOW);
    expect(hasJob(state)).toBe(false);
    expect(statusOf(state)).toEqual({
      workflowId: 'wf-1',
      jobId: null,
      name: 'job',
      state: 'CREATING',
      counts: null,
      batchList: [],
      checks: 0,
      notifications: 0,
      notificationsRequested: false,
      nextCheckAt: null,
      lastError: null,
      lastNotificationAt: null,
      lastNotifiedState: null,
      deadlineAt: '2026-11-28T12:01:00.000Z',
      runs: 1,
      timeline: [],
      possibleDuplicateTdgJob: false,
    });
    expect(state.startedAt).toBe('2026-11-28T12:00:00.000Z');
    expect(state.trigger).toBe('creation');
    expect(remainingMs(initialState(input, 'wf-1', NOW), NOW)).toBe(DEFAULT_DEADLINE_MS);
  });

  it('carries what the next run needs and picks it up again, one run later', () => {
    const first = created();
    recordCheck(first, snapshot('IN_PROGRESS', 1), '2026-11-28T12:00:01.000Z');
    recordNotification(first, '2026-11-28T12:00:02.000Z', null);
    const carried = carriedOf(first);
    const next = initialState({ ...input, carried }, 'wf-1', NOW + 3_600_000);
    expect(hasJob(next)).toBe(true);
    expect(next.runs).toBe(2);
    expect(next.trigger).toBe('continue-as-new');
    expect(next.startedAt).toBe(first.startedAt);
    expect(next.deadlineAt).toBe(first.deadlineAt);
    // Everything the status shows goes on; a hint that came after the last check is still pending.
    expect(carried).toMatchObject({ lastNotificationAt: '2026-11-28T12:00:02.000Z', hintPending: true });
    expect(next.hintPending).toBe(true);
    expect(statusOf(next)).toEqual({ ...statusOf(first), runs: 2 });
    expect(carriedOf(next as CreatedJobState)).toEqual({ ...carried, runs: 2 });
    // The next run's timeline is its own copy, not the carried input's.
    expect(next.timeline).not.toBe(carried.timeline);
  });

  it('carries the last error and no pending hint when the last check saw everything', () => {
    const first = created();
    recordNotification(first, '2026-11-28T12:00:02.000Z', null);
    first.hintPending = false; // the check after the hint cleared it
    recordCheck(first, snapshot('IN_PROGRESS', 0, ['created_date']), 't1');
    const next = initialState({ ...input, carried: carriedOf(first) }, 'wf-1', NOW);
    expect(next.hintPending).toBe(false);
    expect(next.lastError).toBe('TDG response lacked: created_date');
    expect(next.lastNotificationAt).toBe('2026-11-28T12:00:02.000Z');
  });

  it('resets the backoff on a polled change and counts stable checks otherwise', () => {
    const state = created();
    expect(recordCheck(state, snapshot('IN_PROGRESS'), 't1')).toBe(true);
    expect(state.stableChecks).toBe(0);
    expect(recordCheck(state, snapshot('IN_PROGRESS'), 't2')).toBe(false);
    expect(recordCheck(state, snapshot('IN_PROGRESS'), 't3')).toBe(false);
    expect(state.stableChecks).toBe(2);
    expect(state.checks).toBe(3);
    expect(recordCheck(state, snapshot('COMPLETED', 3), 't4')).toBe(true);
    expect(state.stableChecks).toBe(0);
    expect(state.timeline.map((e) => e.state)).toEqual(['IN_PROGRESS', 'COMPLETED']);
  });

  it('keeps the backoff on a change a working notification announced', () => {
    const state = created();
    recordCheck(state, snapshot('IN_PROGRESS'), 't1');
    recordCheck(state, snapshot('IN_PROGRESS'), 't2');
    recordNotification(state, 't3', null);
    state.trigger = 'notification';
    recordCheck(state, snapshot('COMPLETED', 3), 't4');
    expect(state.stableChecks).toBe(2);
  });

  it('a hint that says the job ended starts the follow-ups; a running one does not', () => {
    const state = created();
    recordNotification(state, 't1', 'IN_PROGRESS');
    expect(state.followUps).toBeNull();
    recordNotification(state, 't2', 'COMPLETED');
    expect(state.followUps).toBe(0);
    expect(carriedOf(state).followUps).toBe(0);
  });

  it('reports missing fields and clears the report on a complete answer', () => {
    const state = created();
    recordCheck(state, snapshot('IN_PROGRESS', 0, ['created_date']), 't1');
    expect(state.lastError).toBe('TDG response lacked: created_date');
    recordCheck(state, snapshot('IN_PROGRESS'), 't2');
    expect(state.lastError).toBeNull();
  });

  it('times a 404 from the first one, keeps it through other failures, and forgets it on an answer', () => {
    const state = created();
    expect(recordCheckFailure(state, 'HTTP 404', true, NOW)).toBe(0);
    expect(recordCheckFailure(state, 'HTTP 502', false, NOW + 60_000)).toBe(0);
    expect(state.lastError).toBe('HTTP 502');
    expect(recordCheckFailure(state, 'HTTP 404', true, NOW + 120_000)).toBe(120_000);
    // Carried: a continue-as-new in the middle does not restart the count.
    const next = initialState({ ...input, carried: carriedOf(state) }, 'wf-1', NOW + 130_000);
    expect(recordCheckFailure(next, 'HTTP 404', true, NOW + 180_000)).toBe(180_000);
    recordCheck(next, snapshot('IN_PROGRESS'), 't');
    expect([next.notFoundSince, next.lastError]).toEqual([null, null]);
    expect(recordCheckFailure(next, 'HTTP 404', true, NOW + 240_000)).toBe(0);
  });

  it('reads the state a notification names, any case, and nothing unreadable', () => {
    expect(hintedStateOf({ job_id: 'j', state: 'in_progress' })).toBe('IN_PROGRESS');
    expect(hintedStateOf({ State: ' COMPLETED ' })).toBe('COMPLETED');
    expect(hintedStateOf({ job_id: 'j' })).toBeNull();
    expect(hintedStateOf(undefined)).toBeNull();
    expect(hintedStateOf({ state: '<script>' })).toBeNull();
    expect(hintedStateOf({ state: 'x'.repeat(41) })).toBeNull();
  });

  it('only a terminal, unreadable or unknown state in a hint asks for a check', () => {
    for (const [hinted, wakes] of [
      ['IN_PROGRESS', false],
      ['QUEUED', false],
      ['WAITING_FOR_UPLOAD', false],
      ['COMPLETED', true],
      ['FAILED', true],
      ['FINISHED', true],
      [null, true],
    ] as const) {
      const state = created();
      recordNotification(state, 't', hinted);
      expect([hinted, state.hintPending]).toEqual([hinted, wakes]);
      expect(state.notifications).toBe(1);
      expect(state.lastNotifiedState).toBe(hinted);
    }
  });

  it('bounds the timeline but keeps its first entry', () => {
    const state = created();
    for (let i = 0; i < MAX_TIMELINE_ENTRIES + 10; i++) recordCheck(state, snapshot(`S${i}`), `t${i}`);
    expect(state.timeline).toHaveLength(MAX_TIMELINE_ENTRIES);
    expect(state.timeline[0]!.state).toBe('S0');
    expect(state.timeline.at(-1)!.state).toBe(`S${MAX_TIMELINE_ENTRIES + 9}`);
  });

  it('makes the status and the result views of the same state', () => {
    const state = created();
    recordNotification(state, '2026-11-28T12:00:02.000Z', null);
    state.trigger = 'notification';
    const done = snapshot('COMPLETED', 3);
    recordCheck(state, done, 't1');
    expect(statusOf(state)).toMatchObject({
      jobId: 'j1',
      state: 'COMPLETED',
      counts: done.counts,
      checks: 1,
      notifications: 1,
      notificationsRequested: true,
      lastNotificationAt: '2026-11-28T12:00:02.000Z',
    });
    expect(resultOf(state, done)).toEqual({
      jobId: 'j1',
      state: 'COMPLETED',
      batchList: [],
      counts: done.counts,
      createdDate: null,
      timeline: state.timeline,
      checks: 1,
      notifications: 1,
      detectedBy: 'notification',
      possibleDuplicateTdgJob: false,
    });
  });
});

describe('input validation', () => {
  const rejection = (bad: EmailAppendJobInput): unknown => {
    try {
      validateInput(bad);
    } catch (err) {
      return err;
    }
    return undefined;
  };

  it('bounds the deadline so that no accepted value can fail a workflow task', () => {
    for (const deadlineMs of [1e16, MAX_DEADLINE_MS + 1, Number.NaN, Infinity, 999, '5000' as unknown]) {
      const err = rejection({ ...input, deadlineMs: deadlineMs as number });
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'InvalidWorkflowInput', nonRetryable: true });
      expect((err as Error).message).toMatch(/deadlineMs/);
    }
    for (const deadlineMs of [1_000, 60_000, MAX_DEADLINE_MS]) {
      expect(() => validateInput({ ...input, deadlineMs })).not.toThrow();
      // The deadline's date is computed from the start: any accepted value is a valid date.
      expect(() => new Date(Date.now() + deadlineMs).toISOString()).not.toThrow();
      expect(() => initialState({ ...input, deadlineMs }, 'wf-1', Date.now())).not.toThrow();
    }
  });

  it('bounds jobNotFoundAfterMs and defaults it to an hour', () => {
    for (const bad of [-1, MAX_DEADLINE_MS + 1, Number.NaN, '60000' as unknown]) {
      const err = rejection({ ...input, jobNotFoundAfterMs: bad as number });
      expect((err as Error).message).toMatch(/jobNotFoundAfterMs/);
    }
    expect(() => validateInput({ ...input, jobNotFoundAfterMs: 0 })).not.toThrow();
    expect(initialState(input, 'wf-1', NOW).jobNotFoundAfterMs).toBe(60 * 60_000);
    expect(initialState({ ...input, jobNotFoundAfterMs: 5_000 }, 'wf-1', NOW).jobNotFoundAfterMs).toBe(5_000);
  });

  it('validates only the first run: a continued run trusts its carried state', () => {
    // As if a later release were stricter than the one that started the job.
    const lenient: EmailAppendJobInput = { name: 'x'.repeat(500), deadlineMs: 1e16, polling: { jitter: 0 } };
    expect(rejection(lenient)).toMatchObject({ type: 'InvalidWorkflowInput' });
    const carried: CarriedState = carriedOf(created());
    expect(runPolicy({ ...lenient, carried })).toMatchObject({ jitter: 0, initialIntervalMs: 5_000 });
    expect(() => initialState({ ...lenient, carried }, 'wf-1', NOW)).not.toThrow();
  });
});
