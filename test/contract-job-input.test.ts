/**
 * src/contract/job-input.ts: the one definition of a valid request, which the workflow
 * (workflows/input.ts), the client and the CLI all apply.
 */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLLING_POLICY,
  jobInputProblems,
  MAX_DEADLINE_MS,
  type EmailAppendJobInput,
} from '../src/contract/index.js';
import { DEFAULT_POLLING_POLICY as SCHEDULE_DEFAULTS } from '../workflows/schedule.js';
import { validateInput } from '../workflows/input.js';

const TEN_THOUSAND = 'x'.repeat(10_000);

describe('one definition of a valid request (contract → workflow, client, CLI)', () => {
  it.each([
    [{ name: '' }, /name must be a non-empty string/],
    [{ name: TEN_THOUSAND }, /at most 200 characters/],
    [{ name: 'ok', deadlineMs: -1 }, /deadline must be between 1s and 366d/],
    [{ name: 'ok', deadlineMs: 367 * 86_400_000 }, /deadline must be between 1s and 366d/],
    [{ name: 'ok', polling: { jitter: 2 } }, /jitter must be in \[0, 1\)/],
  ])('%# the workflow and the contract refuse the same input', (input, reason) => {
    expect(jobInputProblems(input as EmailAppendJobInput).join('; ')).toMatch(reason);
    expect(() => validateInput(input as EmailAppendJobInput)).toThrow(reason);
  });

  it("the contract's default polling policy is the schedule's", () => {
    expect(DEFAULT_POLLING_POLICY).toEqual(SCHEDULE_DEFAULTS);
    expect(jobInputProblems({ name: 'ok', deadlineMs: MAX_DEADLINE_MS })).toEqual([]);
  });
});
