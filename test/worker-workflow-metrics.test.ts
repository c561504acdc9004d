/** The workflow metrics interceptor's reading of a jobNotification's hint (pure: no server). */
import { describe, expect, it } from 'vitest';
import { hintsTerminalState } from '../src/worker/workflow-metrics.js';

const hint = (fields?: Record<string, string>): unknown[] => [
  { method: 'POST', receivedAt: '2026-01-01T00:00:00.000Z', ...(fields ? { fields } : {}) },
];

describe('hintsTerminalState (where tdg_detection_delay_seconds starts)', () => {
  it('a state field naming COMPLETED or FAILED, in any case and spacing, under any case of key', () => {
    expect(hintsTerminalState(hint({ state: 'COMPLETED' }))).toBe(true);
    expect(hintsTerminalState(hint({ job_id: 'abc', State: ' failed ' }))).toBe(true);
    expect(hintsTerminalState(hint({ STATE: 'Completed' }))).toBe(true);
  });

  it('a running or unknown state, no state, or a malformed signal is not terminal', () => {
    expect(hintsTerminalState(hint({ state: 'IN_PROGRESS' }))).toBe(false);
    expect(hintsTerminalState(hint({ state: 'COMPLETED_SOON' }))).toBe(false);
    expect(hintsTerminalState(hint({ job_id: 'abc' }))).toBe(false);
    expect(hintsTerminalState(hint())).toBe(false);
    expect(hintsTerminalState([])).toBe(false);
    expect(hintsTerminalState([null])).toBe(false);
    expect(hintsTerminalState(['COMPLETED'])).toBe(false);
    expect(hintsTerminalState([{ fields: { state: 42 } }])).toBe(false);
    expect(hintsTerminalState([{ fields: 'state=COMPLETED' }])).toBe(false);
  });
});
