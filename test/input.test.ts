import { describe, expect, it } from 'vitest';
import { ApplicationFailure } from '@temporalio/common';
import type { CarriedState, EmailAppendJobInput } from '../src/contract/index.js';
import { MAX_DEADLINE_MS, runPolicy, validateInput } from '../workflows/input.js';
import { initialState, onCreated } from '../workflows/job-state.js';
import { carriedOf } from '../workflows/job-views.js';

const NOW = Date.parse('2026-11-28T12:00:00.000Z');
const input: EmailAppendJobInput = { name: 'job' };

function created() {
  return onCreated(initialState(input, 'wf-1', NOW), { jobId: 'j1', notificationsRequested: true });
}

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
