import { describe, expect, it } from 'vitest';
import { hintedStateOf, type EmailAppendJobInput, type JobSnapshot } from '../src/contract/index.js';
import {
  DEFAULT_DEADLINE_MS,
  FOLLOW_UP_DELAYS_MS,
  MAX_TIMELINE_ENTRIES,
  followUpDelayMs,
  hasJob,
  initialState,
  isFinished,
  notFoundForMs,
  onCheckAnswered,
  onCheckFailed,
  onCheckFinished,
  onCheckStarted,
  onCreateAttemptFailed,
  onCreated,
  onCreateFailed,
  onHint,
  onJobEnded,
  onManualCheckRequested,
  onPossibleDuplicate,
  onWaitStarted,
  onWoken,
  remainingMs,
  type CreatedJobState,
  type JobState,
} from '../workflows/job-state.js';
import { JobTracker } from '../workflows/job-tracker.js';
import { carriedOf, resultOf, statusOf } from '../workflows/job-views.js';

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
  return onCreated(initialState(input, 'wf-1', NOW), { jobId: 'j1', notificationsRequested: true });
}

/** `recordCheck` of 1.0: the state after one answer, and whether the TDG state changed. */
function answered(job: JobState, latest: JobSnapshot, at: string): [JobState, boolean] {
  return [onCheckAnswered(job, latest, at), latest.state !== job.snapshot?.state];
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
    let first = created();
    first = onCheckAnswered(first, snapshot('IN_PROGRESS', 1), '2026-11-28T12:00:01.000Z');
    first = onHint(first, '2026-11-28T12:00:02.000Z', null);
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
    let first = onHint(created(), '2026-11-28T12:00:02.000Z', null);
    first = onCheckStarted(first, NOW); // the check after the hint clears it
    first = onCheckAnswered(first, snapshot('IN_PROGRESS', 0, ['created_date']), 't1');
    const next = initialState({ ...input, carried: carriedOf(first) }, 'wf-1', NOW);
    expect(next.hintPending).toBe(false);
    expect(next.lastError).toBe('TDG response lacked: created_date');
    expect(next.lastNotificationAt).toBe('2026-11-28T12:00:02.000Z');
  });

  it('resets the backoff on a polled change and counts stable checks otherwise', () => {
    let [state, changed] = answered(created(), snapshot('IN_PROGRESS'), 't1');
    expect(changed).toBe(true);
    expect(state.stableChecks).toBe(0);
    [state, changed] = answered(state, snapshot('IN_PROGRESS'), 't2');
    expect(changed).toBe(false);
    [state, changed] = answered(state, snapshot('IN_PROGRESS'), 't3');
    expect(changed).toBe(false);
    expect(state.stableChecks).toBe(2);
    expect(state.checks).toBe(3);
    [state, changed] = answered(state, snapshot('COMPLETED', 3), 't4');
    expect(changed).toBe(true);
    expect(state.stableChecks).toBe(0);
    expect(state.timeline.map((e) => e.state)).toEqual(['IN_PROGRESS', 'COMPLETED']);
  });

  it('keeps the backoff on a change a working notification announced', () => {
    let state: JobState = onCheckAnswered(created(), snapshot('IN_PROGRESS'), 't1');
    state = onCheckAnswered(state, snapshot('IN_PROGRESS'), 't2');
    state = onWoken(onHint(state, 't3', null), 'notification');
    state = onCheckAnswered(state, snapshot('COMPLETED', 3), 't4');
    expect(state.stableChecks).toBe(2);
  });

  it('a hint that says the job ended starts the follow-ups; a running one does not', () => {
    let state = onHint(created(), 't1', 'IN_PROGRESS');
    expect(state.followUps).toBeNull();
    state = onHint(state, 't2', 'COMPLETED');
    expect(state.followUps).toBe(0);
    expect(carriedOf(state).followUps).toBe(0);
  });

  it('each wait uses one follow-up delay, seconds then minutes, until they run out', () => {
    let state: JobState = onHint(created(), 't1', 'COMPLETED');
    const delays: (number | undefined)[] = [];
    for (let i = 0; i <= FOLLOW_UP_DELAYS_MS.length; i++) {
      delays.push(followUpDelayMs(state));
      state = onWaitStarted(state, `t${i}`);
    }
    expect(delays).toEqual([...FOLLOW_UP_DELAYS_MS, undefined]);
    expect(state.followUps).toBeNull();
    expect(state.nextCheckAt).toBe(`t${FOLLOW_UP_DELAYS_MS.length}`);
    expect(followUpDelayMs(created())).toBeUndefined();
  });

  it('reports missing fields and clears the report on a complete answer', () => {
    let state = onCheckAnswered(created(), snapshot('IN_PROGRESS', 0, ['created_date']), 't1');
    expect(state.lastError).toBe('TDG response lacked: created_date');
    state = onCheckAnswered(state, snapshot('IN_PROGRESS'), 't2');
    expect(state.lastError).toBeNull();
  });

  it('times a 404 from the first one, keeps it through other failures, and forgets it on an answer', () => {
    let state = onCheckFailed(created(), 'HTTP 404', true, NOW);
    expect(notFoundForMs(state, NOW)).toBe(0);
    state = onCheckFailed(state, 'HTTP 502', false, NOW + 60_000);
    expect(state.lastError).toBe('HTTP 502');
    state = onCheckFailed(state, 'HTTP 404', true, NOW + 120_000);
    expect(notFoundForMs(state, NOW + 120_000)).toBe(120_000);
    // Carried: a continue-as-new in the middle does not restart the count.
    let next = initialState({ ...input, carried: carriedOf(state) }, 'wf-1', NOW + 130_000);
    next = onCheckFailed(next, 'HTTP 404', true, NOW + 180_000);
    expect(notFoundForMs(next, NOW + 180_000)).toBe(180_000);
    next = onCheckAnswered(next, snapshot('IN_PROGRESS'), 't');
    expect([next.notFoundSince, next.lastError]).toEqual([null, null]);
    next = onCheckFailed(next, 'HTTP 404', true, NOW + 240_000);
    expect(notFoundForMs(next, NOW + 240_000)).toBe(0);
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
      const state = onHint(created(), 't', hinted);
      expect([hinted, state.hintPending]).toEqual([hinted, wakes]);
      expect(state.notifications).toBe(1);
      expect(state.lastNotifiedState).toBe(hinted);
    }
  });

  it('bounds the timeline but keeps its first entry', () => {
    let state: JobState = created();
    for (let i = 0; i < MAX_TIMELINE_ENTRIES + 10; i++)
      state = onCheckAnswered(state, snapshot(`S${i}`), `t${i}`);
    expect(state.timeline).toHaveLength(MAX_TIMELINE_ENTRIES);
    expect(state.timeline[0]!.state).toBe('S0');
    expect(state.timeline.at(-1)!.state).toBe(`S${MAX_TIMELINE_ENTRIES + 9}`);
  });

  it('makes the status and the result views of the same state', () => {
    let state = onWoken(onHint(created(), '2026-11-28T12:00:02.000Z', null), 'notification');
    const done = snapshot('COMPLETED', 3);
    state = onCheckAnswered(state, done, 't1');
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

describe('job state transitions', () => {
  const fresh = (): JobState => initialState(input, 'wf-1', NOW);

  it('onCreated: the job id and whether notifications were requested; status says CREATED', () => {
    const state = onCreated(fresh(), { jobId: 'j9', notificationsRequested: false });
    expect([hasJob(state), state.jobId, state.notificationsRequested]).toEqual([true, 'j9', false]);
    expect(statusOf(state).state).toBe('CREATED');
  });

  it('onCreateAttemptFailed shows the error; onPossibleDuplicate marks the job; onCreateFailed keeps the failure', () => {
    const failedOnce = onCreateAttemptFailed(fresh(), 'ApplicationFailure: HTTP 503');
    expect(statusOf(failedOnce)).toMatchObject({ lastError: 'ApplicationFailure: HTTP 503', jobId: null });
    const marked = onPossibleDuplicate(failedOnce);
    expect([failedOnce.possibleDuplicateTdgJob, marked.possibleDuplicateTdgJob]).toEqual([false, true]);
    const failed = onCreateFailed(marked, { type: 'NotPermitted', message: 'no' });
    expect(failed.createFailure).toEqual({ type: 'NotPermitted', message: 'no' });
    expect(failed.possibleDuplicateTdgJob).toBe(true);
  });

  it('onManualCheckRequested asks for a check and times it; onCheckStarted answers hints and requests so far', () => {
    const requested = onManualCheckRequested(onHint(created(), 't', null), NOW);
    expect([requested.checkRequested, requested.lastManualCheckAtMs, requested.hintPending]).toEqual([
      true,
      NOW,
      true,
    ]);
    const waiting = onWaitStarted(requested, '2026-11-28T12:05:00.000Z');
    const started = onCheckStarted(waiting, NOW + 5);
    expect(started).toMatchObject({
      checkRequested: false,
      hintPending: false,
      nextCheckAt: null,
      checking: true,
      lastCheckStartedAtMs: NOW + 5,
    });
  });

  it('onCheckFinished counts finished checks, answered or not; onJobEnded leaves no next check', () => {
    const started = onCheckStarted(created(), NOW);
    const finished = onCheckFinished(onCheckFailed(started, 'HTTP 502', false, NOW));
    expect([finished.checking, finished.checksFinished]).toEqual([false, 1]);
    expect(onCheckFinished(finished).checksFinished).toBe(2);
    const ended = onJobEnded(onWaitStarted(finished, '2026-11-28T12:05:00.000Z'));
    expect(ended.nextCheckAt).toBeNull();
  });

  it('onWoken credits the next check to what ended the wait', () => {
    expect(onWoken(created(), 'manual').trigger).toBe('manual');
    expect(isFinished(onCheckAnswered(created(), snapshot('FAILED'), 't'))).toBe(true);
  });

  it('every transition returns a new state and leaves the one it was given as it was', () => {
    const before = onHint(created(), 't', 'COMPLETED');
    const copy = structuredClone(before);
    onCheckAnswered(before, snapshot('COMPLETED', 3), 't1');
    onCheckFailed(before, 'HTTP 404', true, NOW);
    onWaitStarted(before, 't2');
    onCheckStarted(before, NOW);
    onManualCheckRequested(before, NOW);
    onCheckFinished(before);
    expect(before).toEqual(copy);
  });

  it('outside job-state.ts the state is read-only: it changes through the tracker by name only', () => {
    const job: JobTracker = new JobTracker(fresh());
    const state = job.state;
    // @ts-expect-error a field of the job's state cannot be assigned outside job-state.ts
    expect(() => (state.checks = 1)).toThrow(TypeError);
    job.hint('t', null);
    expect([state.notifications, job.state.notifications]).toEqual([0, 1]);
    expect(job.hasJob()).toBe(false);
    job.created({ jobId: 'j1', notificationsRequested: true });
    expect(job.hasJob() && job.state.jobId).toBe('j1');
  });
});
