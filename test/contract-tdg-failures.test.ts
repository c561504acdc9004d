import { describe, expect, it } from 'vitest';
import { tdgFailureDetailsOf, type TdgFailureDetails } from '../src/contract/index.js';

describe('TDG failure details (the activity → workflow contract)', () => {
  it('reads back every kind as the activities attach it', () => {
    const attached: TdgFailureDetails[] = [
      { kind: 'refused', status: 503, retryAfterMs: 2_000, bodyPreview: 'busy', createOutcome: 'unknown' },
      { kind: 'unauthenticated', status: 401, createOutcome: 'not-sent' },
      { kind: 'unreachable', code: 'ECONNRESET', createOutcome: 'unknown' },
      { kind: 'timed-out', createOutcome: 'unanswered' },
      { kind: 'throttled', retryAfterMs: 500, createOutcome: null },
      { kind: 'unreadable', bodyPreview: '<html>', createOutcome: 'unknown' },
    ];
    for (const details of attached) expect(tdgFailureDetailsOf(details)).toEqual(details);
  });

  it('reads what 1.0 activities attached, deciding as 1.0 did (a timeout was unanswered unless not sent)', () => {
    expect(tdgFailureDetailsOf({ code: 'TIMEOUT', createOutcome: 'unknown' })).toEqual({
      kind: 'timed-out',
      createOutcome: 'unanswered',
    });
    expect(tdgFailureDetailsOf({ code: 'TIMEOUT', createOutcome: 'not-sent' })).toMatchObject({
      createOutcome: 'not-sent',
    });
    expect(tdgFailureDetailsOf({ code: 'ECONNREFUSED', createOutcome: 'not-sent' })).toEqual({
      kind: 'unreachable',
      code: 'ECONNREFUSED',
      createOutcome: 'not-sent',
    });
    expect(
      tdgFailureDetailsOf({ status: 502, retryAfterMs: null, bodyPreview: 'x', createOutcome: 'unknown' }),
    ).toMatchObject({ kind: 'refused', status: 502, createOutcome: 'unknown' });
    expect(tdgFailureDetailsOf({ status: 401, createOutcome: 'not-sent' })).toMatchObject({
      kind: 'unauthenticated',
    });
    expect(tdgFailureDetailsOf({ retryAfterMs: 900, createOutcome: null })).toMatchObject({
      kind: 'throttled',
      retryAfterMs: 900,
    });
    expect(tdgFailureDetailsOf({ bodyPreview: '<html>', createOutcome: 'unknown' })).toMatchObject({
      kind: 'unreadable',
    });
  });

  it('reads nothing of ours as undefined, and an unknown outcome as null', () => {
    for (const other of [undefined, null, 'TIMEOUT', 42, {}, { createOutcome: 'maybe' }])
      expect(tdgFailureDetailsOf(other)).toBeUndefined();
    expect(tdgFailureDetailsOf({ kind: 'unreachable', code: 7, createOutcome: 'maybe' })).toEqual({
      kind: 'unreachable',
      code: null,
      createOutcome: null,
    });
  });
});
