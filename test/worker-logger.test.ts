/**
 * The worker's runtime logger: the SDK's `Workflow failed` entry for a failure the workflow made on
 * purpose becomes one line (INFO for the job's expected endings, WARN for the rest), as it arrives
 * from the workflow's sandbox (name `Error`, the stack naming ApplicationFailure, no `type`).
 */
import { describe, expect, it } from 'vitest';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { WorkerLogger, workflowFailureLine } from '../src/worker/worker-logger.js';

/** An error as the sandbox hands it over: a plain Error whose stack names the failure class. */
function copied(message: string): Error {
  const error = new Error(message);
  error.stack = `ApplicationFailure: ${message}\n    at create (workflows/failures.ts:70:28)`;
  return error;
}

describe('the worker logger', () => {
  it('one INFO line for TDG FAILED and a passed deadline, one WARN line for other deliberate failures', () => {
    expect(
      workflowFailureLine(copied('TDG job 53258e6dfc2b5b1 FAILED: 1 failed and 0 malformed of 1 batches')),
    ).toEqual({
      level: 'INFO',
      text: 'JobFailed: TDG job 53258e6dfc2b5b1 FAILED: 1 failed and 0 malformed of 1 batches',
    });
    expect(
      workflowFailureLine(
        copied('TDG job b39d8 did not finish by its deadline 2026-12-06T12:46:02.632Z; last state QUEUED'),
      ),
    ).toMatchObject({
      level: 'INFO',
      text: expect.stringMatching(/^JobDeadlineExceeded: TDG job b39d8 did not/) as unknown,
    });
    expect(workflowFailureLine(copied('TDG refused the credentials'))).toEqual({
      level: 'WARN',
      text: 'ApplicationFailure: TDG refused the credentials',
    });
    // Not a failure the workflow made: the SDK's entry, stack and all.
    expect(
      workflowFailureLine(new TypeError("Cannot read properties of undefined (reading 'state')")),
    ).toBeNull();
  });

  it('writes the line without metadata, and passes every other entry through unchanged', () => {
    const lines: [LogLevel, string, LogMetadata | undefined][] = [];
    const inner = {
      log: (level: LogLevel, message: string, meta?: LogMetadata) => lines.push([level, message, meta]),
    };
    const logger = new WorkerLogger(inner as unknown as Logger);
    logger.warn('Workflow failed', {
      workflowId: 'wf-1',
      runId: 'run-1',
      error: copied('TDG job abc FAILED: 2 failed and 0 malformed of 3 batches'),
    });
    logger.info('TDG job created', { jobId: 'abc' });
    expect(lines).toEqual([
      [
        'INFO',
        'Workflow wf-1 (run run-1) ended: JobFailed: TDG job abc FAILED: 2 failed and 0 malformed of 3 batches',
        undefined,
      ],
      ['INFO', 'TDG job created', { jobId: 'abc' }],
    ]);
  });
});
