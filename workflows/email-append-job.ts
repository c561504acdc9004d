/**
 * Creates a TDG asynchronous e-mail-append job and waits for it durably: adaptive polling on
 * timers, woken early by hints (the `jobNotification` signal), until COMPLETED (returns the batch
 * list) or FAILED (fails with a non-retryable `JobFailed` carrying the same result).
 *
 * Reading order: this function, then `create.ts` (createJob and its attempt policy), `follow.ts`
 * (the wait/check loop) with `check.ts` (one getJob), `handlers.ts` (query, hint, updates), and
 * `job-state.ts` (the job's state and its named transitions).
 */
import { workflowInfo } from '@temporalio/workflow';
import type { EmailAppendJobInput, EmailAppendJobResult } from '../src/contract/index.js';
import { createTdgJob } from './create.js';
import { asWorkflowFailure } from './failures.js';
import { follow } from './follow.js';
import { setUpHandlers } from './handlers.js';
import { runPolicy } from './input.js';
import { initialState } from './job-state.js';
import { JobTracker } from './job-tracker.js';
import { announceCreation, recordEnd } from './visibility.js';

export async function emailAppendJob(input: EmailAppendJobInput): Promise<EmailAppendJobResult> {
  let job: JobTracker | null = null;
  try {
    // Validated at the first run only: a continued run trusts what it carries.
    const policy = runPolicy(input);
    job = new JobTracker(initialState(input, workflowInfo().workflowId, Date.now()));
    setUpHandlers(job);
    // A continued run already has its job; a first run shows it is being created, then creates it.
    if (!job.hasJob()) announceCreation(job.state);
    const created = job.hasJob() ? job : await createTdgJob(job, input);
    return await follow(input, policy, created);
  } catch (err) {
    // Every end but a continue-as-new leaves its final state where `list` and the Web UI see it.
    await recordEnd(err, job?.state ?? null);
    throw asWorkflowFailure(err, job?.state ?? null);
  }
}
