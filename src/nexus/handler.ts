/**
 * The `tdgEmailAppend` Nexus service's handler (src/contract/nexus-service.ts), registered on our
 * worker beside the activities. `startJob` starts `emailAppendJob` as the operation's backing
 * workflow (the result or typed failure reaches the caller by callback); `getStatus` and `checkNow`
 * answer at once through the typed client's own logic, so a Nexus caller and a service see the
 * same answers and refusals.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import {
  TemporalOperationHandler,
  TemporalOperationResult,
  getClient,
  operationInfo,
  type TemporalNexusClient,
} from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import {
  NOT_CREATED_STATE,
  TDG_JOB_STATE,
  WORKFLOW_TYPE,
  type EmailAppendJobResult,
  type JobStatus,
} from '../contract/index.js';
import {
  businessKeyProblem,
  jobInputOf,
  nexusStartJobProblems,
  tdgEmailAppendService,
  type NexusJobRef,
  type NexusJobStatus,
  type NexusStartJobInput,
} from '../contract/nexus-service.js';
import { staticDetails } from '../client/start-details.js';
import { JobErrorType, TdgJobError } from '../client/errors.js';
import { TdgJobs } from '../client/tdg-jobs.js';
import type { ClosedJob } from '../client/closed.js';

/**
 * A synchronous operation must answer within the caller's Nexus request timeout (10 s by the
 * server's default): a check that takes longer is refused as unavailable, so the caller retries.
 */
const CHECK_TIMEOUT_MS = 8_000;
const STATUS_QUERY_TIMEOUT_MS = 3_000;

/** The client's refusals a caller must not retry: the request itself is wrong. */
const BAD_REQUEST_TYPES = new Set<string>([JobErrorType.InvalidJobRequest, JobErrorType.WorkflowIdInUse]);
/** Answers about the job itself (it ended, it refused): the operation fails with the client's type. */
const JOB_ANSWER_TYPES = new Set<string>([
  JobErrorType.CheckRefused,
  JobErrorType.JobFailed,
  JobErrorType.JobDeadlineExceeded,
  JobErrorType.JobCancelled,
  JobErrorType.JobTerminated,
]);

function tdgJobs(): TdgJobs {
  return new TdgJobs(getClient(), { taskQueue: operationInfo().taskQueue });
}

function badRequest(problems: string[]): nexus.HandlerError {
  return new nexus.HandlerError(
    nexus.HandlerErrorType.BAD_REQUEST,
    `invalid job request: ${problems.join('; ')}`,
  );
}

/** The client's rejection as what Nexus tells the caller: a bad request, an operation failure, or retry later. */
function toNexusError(err: unknown): Error {
  if (!(err instanceof TdgJobError)) return err instanceof Error ? err : new Error(String(err));
  if (BAD_REQUEST_TYPES.has(err.type))
    return new nexus.HandlerError(nexus.HandlerErrorType.BAD_REQUEST, err.message);
  if (err.type === JobErrorType.WorkflowNotFound)
    return new nexus.HandlerError(
      nexus.HandlerErrorType.NOT_FOUND,
      `no job with business key ${err.workflowId ?? ''}`,
    );
  if (JOB_ANSWER_TYPES.has(err.type))
    return new nexus.OperationError('failed', err.message, {
      cause: ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: true,
        details: [err.result ?? err.status ?? null],
      }),
    });
  // No worker answered, Temporal unreachable: the caller's Nexus machinery retries.
  return new nexus.HandlerError(nexus.HandlerErrorType.UNAVAILABLE, err.message, { retryableOverride: true });
}

/** A start whose business key names a job that has ended: its result again, or its failure. */
function closedJobAnswer(closed: ClosedJob): TemporalOperationResult<EmailAppendJobResult> {
  if (closed.ending === 'COMPLETED' && closed.result) return TemporalOperationResult.sync(closed.result);
  const type = closed.failure?.type ?? closed.ending;
  const message = `job ${closed.workflowId} already ended ${closed.ending}${closed.failure ? `: ${closed.failure.message}` : ''}`;
  throw new nexus.OperationError('failed', message, {
    cause: ApplicationFailure.create({
      type,
      message,
      nonRetryable: true,
      details: [closed.result ?? closed.lastStatus],
    }),
  });
}

async function startJob(
  _ctx: nexus.StartOperationContext,
  client: TemporalNexusClient,
  input: NexusStartJobInput,
): Promise<TemporalOperationResult<EmailAppendJobResult>> {
  const problems = nexusStartJobProblems(input);
  if (problems.length > 0) throw badRequest(problems);
  const jobs = tdgJobs();
  const workflowId = input.businessKey;
  // A running job under this key with another name is someone else's: never hand it over.
  const existing = await jobs.visibleStatus(workflowId).catch(() => null);
  if (
    existing &&
    existing.workflowStatus === 'RUNNING' &&
    existing.name !== null &&
    existing.name !== input.name
  )
    throw new nexus.HandlerError(
      nexus.HandlerErrorType.BAD_REQUEST,
      `business key ${workflowId} already names another running job, "${existing.name}", not "${input.name}": nothing was started`,
    );
  try {
    return await client.startWorkflow(WORKFLOW_TYPE, {
      workflowId,
      args: [jobInputOf(input)],
      // A running job answers a repeated start (its callbacks attach to it); an ended one is never run again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { jobName: input.name },
      staticSummary: `TDG job ${input.name}`,
      staticDetails: staticDetails(input, workflowId),
      typedSearchAttributes: new TypedSearchAttributes([{ key: TDG_JOB_STATE, value: NOT_CREATED_STATE }]),
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const closed = await jobs.closedJob(workflowId);
    if (!closed)
      throw new nexus.HandlerError(
        nexus.HandlerErrorType.UNAVAILABLE,
        `job ${workflowId} is starting: retry`,
        { cause: err },
      );
    return closedJobAnswer(closed);
  }
}

function requireKey(input: NexusJobRef): string {
  const problem = businessKeyProblem(input?.businessKey);
  if (problem) throw badRequest([problem]);
  return input.businessKey;
}

async function getStatus(_ctx: nexus.StartOperationContext, input: NexusJobRef): Promise<NexusJobStatus> {
  const workflowId = requireKey(input);
  try {
    const answer = await tdgJobs().getStatus(workflowId, STATUS_QUERY_TIMEOUT_MS);
    if (answer.source === 'query') return { running: true, status: answer.status };
    if (answer.source === 'search-attributes')
      return {
        running: true,
        status: null,
        state: answer.status.state,
        jobId: answer.status.jobId,
        reason: answer.reason,
      };
    const closed = answer.status;
    return {
      running: false,
      ending: closed.ending,
      failure: closed.failure,
      jobId: closed.jobId,
      result: closed.result,
      lastStatus: closed.lastStatus,
    };
  } catch (err) {
    throw toNexusError(err);
  }
}

async function checkNow(_ctx: nexus.StartOperationContext, input: NexusJobRef): Promise<JobStatus> {
  const workflowId = requireKey(input);
  try {
    return await tdgJobs().checkNow(workflowId, { timeoutMs: CHECK_TIMEOUT_MS });
  } catch (err) {
    throw toNexusError(err);
  }
}

/** The service handler a worker registers (`nexusServices`). */
export function tdgEmailAppendNexusHandler(): nexus.ServiceHandler {
  return nexus.serviceHandler(tdgEmailAppendService, {
    // Cancelling the operation cancels the job's workflow (the default), which records its TDG job.
    startJob: new TemporalOperationHandler<NexusStartJobInput, EmailAppendJobResult>({ start: startJob }),
    getStatus,
    checkNow,
  });
}
