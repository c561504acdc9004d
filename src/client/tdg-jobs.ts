/**
 * The typed client other services import: start a job and get its TDG job id in the same call,
 * read its status, ask for a check, cancel it, wait for its batch list, list jobs. Workflow names,
 * update and query names stay in here and in the contract: callers never spell them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  isGrpcDeadlineError,
  isGrpcServiceError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TypedSearchAttributes,
} from '@temporalio/common';
import {
  FailureType,
  TDG_JOB_ID,
  STARTED_JOB_STATE,
  TDG_JOB_STATE,
  WORKFLOW_TYPE,
  checkNowUpdate,
  jobCreatedUpdate,
  statusQuery,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobStatus,
  type NotificationMethod,
} from '../contract/index.js';
import { JobErrorType, TdgJobError, describeError } from './errors.js';
import { defaultWorkflowId, staticDetails } from './start-details.js';
import { jobVersionOf } from './job-version.js';

export interface StartJobOptions {
  /** TDG's job name; the workflow id is added to it, so a duplicate stays traceable. */
  name: string;
  /** One workflow id names one TDG job forever; default: derived from the name and the time. */
  workflowId?: string;
  /** How TDG notifies our listener; null: polling only. Default POST. */
  notificationMethod?: NotificationMethod | null;
  /** Default 7 days. */
  deadlineMs?: number;
  polling?: EmailAppendJobInput['polling'];
  /** How long to wait for TDG's job id before returning without it (default 60 s). */
  jobIdTimeoutMs?: number;
}

export interface StartedJob {
  workflowId: string;
  runId: string;
  /** TDG's job id; null only when TDG did not answer within `jobIdTimeoutMs` (the job goes on). */
  jobId: string | null;
  notificationsRequested: boolean | null;
  /** True when the workflow id already existed: nothing new started, no second TDG job. */
  alreadyStarted: boolean;
}

export interface ListedJob {
  workflowId: string;
  status: string;
  startTime: string;
  jobId: string | null;
  state: string | null;
  name: string | null;
  /** The Worker Deployment version its current run is on (jobVersionOf); null: unversioned. */
  version: string | null;
}

/** What visibility knows without a worker: answers even when none runs. */
export interface VisibleStatus {
  workflowId: string;
  jobId: string | null;
  state: string | null;
  workflowStatus: string;
  name: string | null;
  startTime: string;
  closeTime: string | null;
}

export interface TdgJobsOptions {
  /** The Temporal task queue the workers poll (TEMPORAL_TASK_QUEUE). */
  taskQueue: string;
}

export interface FollowOptions {
  /** How often the status query runs (default 250 ms). */
  intervalMs?: number;
  /** Bound on each status query, so a missing worker never stalls the loop (default 2 s). */
  queryTimeoutMs?: number;
  /** Called when the job id, state, counts or last error change. */
  onChange?: (status: JobStatus) => void;
  /** Called with every status read, changed or not (live displays: next check time, elapsed). */
  onStatus?: (status: JobStatus) => void;
}

/** What makes a status news for `follow`: its job id, state, counts or last error. */
export function statusKey(status: JobStatus): string {
  return JSON.stringify([status.jobId, status.state, status.counts, status.lastError]);
}

const DEFAULT_JOB_ID_TIMEOUT_MS = 60_000;
/** gRPC status codes DEADLINE_EXCEEDED (4) and UNAVAILABLE (14): the server did not answer. */
const GRPC_CONNECTION_CODES = new Set([4, 14]);

export class TdgJobs {
  constructor(
    /** The Temporal client, for anything this class does not cover. */
    readonly temporal: Client,
    private readonly options: TdgJobsOptions,
  ) {}

  /**
   * Starts the job's workflow (or finds the one with this id) and returns once TDG's job id is
   * known: update-with-start, so one call, and a repeated call with the same id returns the same
   * job id without creating a second TDG job.
   */
  async startJob(options: StartJobOptions): Promise<StartedJob> {
    const workflowId = options.workflowId ?? defaultWorkflowId(options.name);
    const input: EmailAppendJobInput = {
      name: options.name,
      outputFormat: 'JSON',
      notificationMethod: options.notificationMethod === undefined ? 'POST' : options.notificationMethod,
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      ...(options.polling ? { polling: options.polling } : {}),
    };
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      // A running workflow answers the update; a closed one is never started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { jobName: options.name },
      staticSummary: `TDG job ${options.name}`,
      staticDetails: staticDetails(options, workflowId),
      typedSearchAttributes: new TypedSearchAttributes([{ key: TDG_JOB_STATE, value: STARTED_JOB_STATE }]),
    });
    const calledAt = Date.now();
    const deadline = calledAt + (options.jobIdTimeoutMs ?? DEFAULT_JOB_ID_TIMEOUT_MS);
    try {
      // Accepted only once a worker runs the workflow's first task: bounded, like the wait for the id.
      const update = await this.temporal.withDeadline(deadline, () =>
        this.temporal.workflow.startUpdateWithStart(jobCreatedUpdate, {
          startWorkflowOperation,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        }),
      );
      const created = await resultWithin(update.result(), deadline - Date.now());
      const runId = update.workflowRunId ?? (await this.describe(workflowId)).runId;
      if (created === undefined) return this.pending(workflowId, runId);
      return {
        workflowId,
        runId,
        jobId: created.jobId,
        notificationsRequested: created.notificationsRequested,
        // The workflow's first run began before this call: it was there already.
        alreadyStarted: Date.parse(created.workflowStartedAt) < calledAt,
      };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return this.closedJob(workflowId);
      // No worker took the first task in time: the workflow exists and goes on without us.
      if (isGrpcDeadlineError(err) && Date.now() >= deadline) {
        const runId = await this.describe(workflowId).then(
          (d) => d.runId,
          (describeErr: unknown) => {
            throw this.toJobError(describeErr, workflowId);
          },
        );
        return this.pending(workflowId, runId);
      }
      throw await this.withLastStatus(this.toJobError(err, workflowId));
    }
  }

  private pending(workflowId: string, runId: string): StartedJob {
    return { workflowId, runId, jobId: null, notificationsRequested: null, alreadyStarted: false };
  }

  private describe(workflowId: string): ReturnType<WorkflowHandle['describe']> {
    return this.temporal.workflow.getHandle(workflowId).describe();
  }

  /** The workflow's status query; with no worker answering within `timeoutMs`, visibility's view. */
  async getStatus(
    workflowId: string,
    timeoutMs = 5_000,
  ): Promise<
    { source: 'query'; status: JobStatus } | { source: 'search-attributes'; status: VisibleStatus }
  > {
    const handle = this.temporal.workflow.getHandle(workflowId);
    try {
      const status = await this.temporal.withDeadline(Date.now() + timeoutMs, () =>
        handle.query(statusQuery),
      );
      return { source: 'query', status };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw this.toJobError(err, workflowId);
      try {
        return { source: 'search-attributes', status: await this.visibleStatus(workflowId) };
      } catch (visibilityErr) {
        throw this.toJobError(visibilityErr, workflowId);
      }
    }
  }

  /** Asks the workflow to call getJob now and returns the fresh status (refused once finished or too often). */
  async checkNow(workflowId: string): Promise<JobStatus> {
    try {
      return await this.temporal.workflow.getHandle(workflowId).executeUpdate(checkNowUpdate);
    } catch (err) {
      throw await this.withLastStatus(this.toJobError(err, workflowId));
    }
  }

  /** Requests cancellation: the workflow records its TDG job and ends CANCELLED. */
  async cancel(workflowId: string): Promise<void> {
    try {
      await this.temporal.workflow.getHandle(workflowId).cancel();
    } catch (err) {
      throw this.toJobError(err, workflowId);
    }
  }

  /** The batch list once TDG reports COMPLETED; rejects with a TdgJobError for every other end. */
  async waitForResult(workflowId: string): Promise<EmailAppendJobResult> {
    try {
      return (await this.temporal.workflow.getHandle(workflowId).result()) as EmailAppendJobResult;
    } catch (err) {
      throw await this.withLastStatus(this.toJobError(err, workflowId));
    }
  }

  /**
   * Waits for the result like `waitForResult`, reading the status query meanwhile: `onChange`
   * whenever the job id, state, counts or last error change, `onStatus` on every read. Query
   * failures (no worker yet) are tolerated: the result decides.
   */
  async follow(workflowId: string, options: FollowOptions = {}): Promise<EmailAppendJobResult> {
    const { intervalMs = 250, queryTimeoutMs = 2_000, onChange, onStatus } = options;
    const handle = this.temporal.workflow.getHandle(workflowId);
    let finished = false;
    const result = this.waitForResult(workflowId).finally(() => {
      finished = true;
    });
    // Settled either way: the loop below only needs to know when to stop.
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    let last = '';
    while (!finished) {
      try {
        const status = await this.temporal.withDeadline(Date.now() + queryTimeoutMs, () =>
          handle.query(statusQuery),
        );
        onStatus?.(status);
        const key = statusKey(status);
        if (key !== last) {
          last = key;
          onChange?.(status);
        }
      } catch {
        // No worker answering yet, or the workflow just closed: the next round or the result tells.
      }
      // Unref'd: once the result is in, a pending pause must not keep the process alive.
      await Promise.race([settled, sleep(intervalMs, undefined, { ref: false })]);
    }
    return result;
  }

  /** Recent jobs, newest first; `state` filters on the TdgJobState search attribute. */
  async listJobs(options: { state?: string; limit?: number } = {}): Promise<ListedJob[]> {
    const limit = options.limit ?? 20;
    const state = options.state?.trim().toUpperCase();
    if (state !== undefined && !/^[A-Z][A-Z0-9_]{0,39}$/.test(state))
      throw new TdgJobError(JobErrorType.Unexpected, `not a TDG job state: "${options.state}"`, null);
    const filter = `WorkflowType = '${WORKFLOW_TYPE}'${state ? ` AND ${TDG_JOB_STATE.name} = '${state}'` : ''}`;
    const jobs: ListedJob[] = [];
    try {
      for await (const execution of this.temporal.workflow.list({
        query: filter,
        pageSize: Math.min(limit, 100),
      })) {
        jobs.push({
          workflowId: execution.workflowId,
          status: execution.status.name,
          startTime: execution.startTime.toISOString(),
          jobId: execution.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
          state: execution.typedSearchAttributes.get(TDG_JOB_STATE) ?? null,
          name: jobName(execution.memo),
          version: jobVersionOf(execution.typedSearchAttributes),
        });
        if (jobs.length >= limit) break;
      }
    } catch (err) {
      throw this.toJobError(err, null);
    }
    return jobs;
  }

  /** Visibility's view of one workflow: answers without a worker. */
  async visibleStatus(workflowId: string): Promise<VisibleStatus> {
    const description = await this.temporal.workflow.getHandle(workflowId).describe();
    return {
      workflowId,
      jobId: description.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
      state: description.typedSearchAttributes.get(TDG_JOB_STATE) ?? null,
      workflowStatus: description.status.name,
      name: jobName(description.memo),
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
    };
  }

  /** The id is taken by a closed workflow: its job id from visibility, nothing started. */
  private async closedJob(workflowId: string): Promise<StartedJob> {
    try {
      const description = await this.describe(workflowId);
      return {
        workflowId,
        runId: description.runId,
        jobId: description.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
        notificationsRequested: null,
        alreadyStarted: true,
      };
    } catch (err) {
      throw this.toJobError(err, workflowId);
    }
  }

  /** Every rejection as a TdgJobError with a stable type. */
  toJobError(err: unknown, workflowId: string | null): TdgJobError {
    if (err instanceof TdgJobError) return err;
    const wrap = (
      type: JobErrorType,
      message: string,
      status: JobStatus | null = null,
      result: EmailAppendJobResult | null = null,
    ): TdgJobError => new TdgJobError(type, message, workflowId, status, result, { cause: err });
    if (err instanceof WorkflowNotFoundError) return wrap(JobErrorType.WorkflowNotFound, err.message);
    const failure =
      err instanceof WorkflowFailedError || err instanceof WorkflowUpdateFailedError ? err.cause : err;
    if (failure instanceof ApplicationFailure) {
      const type = KNOWN_FAILURE_TYPES.get(failure.type ?? '') ?? JobErrorType.Unexpected;
      const detail = failure.details?.[0];
      // JobFailed carries the result (with the batch list); other failures the last status.
      if (type === JobErrorType.JobFailed)
        return wrap(type, failure.message, null, detail as EmailAppendJobResult);
      return wrap(type, failure.message, isStatus(detail) ? detail : null);
    }
    if (failure instanceof CancelledFailure)
      return wrap(JobErrorType.JobCancelled, failure.message || 'cancelled');
    if (failure instanceof TerminatedFailure)
      return wrap(JobErrorType.JobTerminated, failure.message || 'terminated');
    if (isConnectionLost(err)) return wrap(JobErrorType.TemporalUnavailable, describeError(err));
    if (/search attribute/i.test(describeError(err)))
      return wrap(JobErrorType.SetupRequired, describeError(err));
    return wrap(JobErrorType.Unexpected, describeError(err));
  }

  /**
   * A rejection without a status gets the workflow's last one from the status query (a closed
   * workflow still answers while a worker runs); when none answers in 2 s it stays without.
   */
  private async withLastStatus(error: TdgJobError): Promise<TdgJobError> {
    const { workflowId } = error;
    if (error.status || !workflowId || NO_STATUS_TYPES.has(error.type)) return error;
    try {
      const status = await this.temporal.withDeadline(Date.now() + 2_000, () =>
        this.temporal.workflow.getHandle(workflowId).query(statusQuery),
      );
      return new TdgJobError(error.type, error.message, workflowId, status, error.result, {
        cause: error.cause,
      });
    } catch {
      return error;
    }
  }
}

/** Rejections where asking the workflow for its status cannot help. */
const NO_STATUS_TYPES = new Set<JobErrorType>([
  JobErrorType.WorkflowNotFound,
  JobErrorType.TemporalUnavailable,
  JobErrorType.SetupRequired,
]);

const KNOWN_FAILURE_TYPES = new Map<string, JobErrorType>([
  [FailureType.JobFailed, JobErrorType.JobFailed],
  [FailureType.JobDeadlineExceeded, JobErrorType.JobDeadlineExceeded],
  [FailureType.NotPermitted, JobErrorType.NotPermitted],
  [FailureType.NotAuthenticated, JobErrorType.NotAuthenticated],
  [FailureType.InvalidJobRequest, JobErrorType.InvalidJobRequest],
  [FailureType.InvalidWorkflowInput, JobErrorType.InvalidJobRequest],
  [FailureType.JobNotFound, JobErrorType.JobNotFound],
  [FailureType.CheckRefused, JobErrorType.CheckRefused],
]);

function isStatus(value: unknown): value is JobStatus {
  return typeof value === 'object' && value !== null && 'workflowId' in value && 'deadlineAt' in value;
}

function jobName(memo: Record<string, unknown> | undefined): string | null {
  return typeof memo?.['jobName'] === 'string' ? memo['jobName'] : null;
}

function isConnectionLost(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    if (isGrpcServiceError(e) && GRPC_CONNECTION_CODES.has(e.code)) return true;
  }
  return false;
}

/** The promise's value, or undefined once `ms` have passed (the promise goes on). */
async function resultWithin<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
