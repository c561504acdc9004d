/**
 * The typed client other services import: start a job and get its TDG job id in the same call,
 * read its status, ask for a check, cancel it, wait for its batch list, list jobs. Workflow names,
 * update and query names stay in here and in the contract: callers never spell them.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  isGrpcServiceError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import {
  ApplicationFailure,
  CancelledFailure,
  TerminatedFailure,
  TypedSearchAttributes,
} from '@temporalio/common';
import {
  FailureType,
  formatDuration,
  TDG_JOB_ID,
  NOT_CREATED_STATE,
  TDG_JOB_STATE,
  WORKFLOW_TYPE,
  checkNowUpdate,
  jobCreatedUpdate,
  jobInputProblems,
  statusQuery,
  workflowIdProblem,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobStatus,
  type NotificationMethod,
} from '../contract/index.js';
import { describeEnding, type ClosedJob, type JobEnding } from './closed.js';
import { JobErrorType, TdgJobError, describeError } from './errors.js';
import { defaultWorkflowId, staticDetails } from './start-details.js';
import { jobVersionOf, notCurrentPollersReason } from './job-version.js';

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

/** Bounded waits: every call that needs a worker gives up after this and says why. */
export interface WaitOptions {
  /** Default 30 s for `checkNow`, 5 s for `getStatus`'s query. */
  timeoutMs?: number;
}

export interface StartedJob {
  workflowId: string;
  runId: string;
  /** TDG's job id; null only when TDG did not answer within `jobIdTimeoutMs` (the job goes on). */
  jobId: string | null;
  notificationsRequested: boolean | null;
  /** True when the workflow id already existed: nothing new started, no second TDG job. */
  alreadyStarted: boolean;
  /** With `jobId` null: why it is not known yet (e.g. "no worker is polling task queue …"). */
  pendingReason?: string;
}

/** What `listJobs` filters on; each is optional and they combine (AND). */
export interface ListFilters {
  /** A TDG job state (TdgJobState), e.g. FAILED. */
  state?: string;
  /** Jobs whose name starts with this (case-sensitive). */
  namePrefix?: string;
  /** The task queue the workflow runs on. */
  taskQueue?: string;
  /** The Worker Deployment version its run is on, `deployment:buildId` as `ListedJob.version` starts. */
  version?: string;
  /** At most this many jobs (default 20). */
  limit?: number;
}

/** A value for a visibility query's string literal: quotes and backslashes would need escaping rules the servers differ on. */
function queryLiteral(what: string, value: string): string {
  if (value === '' || /['"\\`]/.test(value))
    throw new TdgJobError(
      JobErrorType.InvalidJobRequest,
      `${what} must be a non-empty name without quotes or backslashes: "${value}"`,
      null,
    );
  return value;
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
const DEFAULT_CHECK_TIMEOUT_MS = 30_000;
/** `listJobs` sorts at most this many matches by start time. */
const LIST_SCAN_LIMIT = 1_000;
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
    const workflowId = options.workflowId ?? defaultWorkflowId(options.name ?? '');
    const input: EmailAppendJobInput = {
      name: options.name,
      outputFormat: 'JSON',
      notificationMethod: options.notificationMethod === undefined ? 'POST' : options.notificationMethod,
      ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
      ...(options.polling ? { polling: options.polling } : {}),
    };
    this.checkRequest(workflowId, input);
    // Only the call whose start created the workflow finds its own token in the memo.
    const startToken = randomUUID();
    const startWorkflowOperation = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [input],
      // A running workflow answers the update; a closed one is never started again.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { jobName: options.name, startToken },
      staticSummary: `TDG job ${options.name}`,
      staticDetails: staticDetails(options, workflowId),
      typedSearchAttributes: new TypedSearchAttributes([{ key: TDG_JOB_STATE, value: NOT_CREATED_STATE }]),
    });
    const waitMs = options.jobIdTimeoutMs ?? DEFAULT_JOB_ID_TIMEOUT_MS;
    const deadline = Date.now() + waitMs;
    const startedByUs = async (): Promise<{ runId: string; ours: boolean }> => {
      const d = await this.describe(workflowId);
      const ours = d.memo?.['startToken'] === startToken;
      // Another job under this id: returning it would hand the caller a job it did not ask for.
      const existing = jobName(d.memo);
      if (!ours && existing !== null && existing !== options.name) {
        const jobId = d.typedSearchAttributes.get(TDG_JOB_ID);
        throw new TdgJobError(
          JobErrorType.WorkflowIdInUse,
          `workflow ${workflowId} already runs another job, named "${existing}"${jobId ? ` (TDG job ${jobId})` : ''}, ` +
            `not "${options.name}": a workflow id names one job, so nothing was started; start with another ` +
            `workflow id (or none, to have one generated), or with the same name to get the running job`,
          workflowId,
        );
      }
      return { runId: d.runId, ours };
    };
    try {
      // Accepted only once a worker runs the workflow's first task: bounded, like the wait for the id.
      const update = await this.temporal.withDeadline(deadline, () =>
        this.temporal.workflow.startUpdateWithStart(jobCreatedUpdate, {
          startWorkflowOperation,
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        }),
      );
      const created = await resultWithin(update.result(), deadline - Date.now());
      const { runId, ours } = await startedByUs();
      if (created === undefined) return this.pending(workflowId, runId, !ours, waitMs);
      return {
        workflowId,
        runId,
        jobId: created.jobId,
        notificationsRequested: created.notificationsRequested,
        alreadyStarted: !ours,
      };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError)
        throw await this.closedStartError(workflowId, err);
      // No worker took the first task in time: the workflow exists and goes on without us.
      if (isOwnDeadline(err, deadline) && Date.now() >= deadline) {
        const started = await startedByUs().catch((describeErr: unknown) => {
          throw this.toJobError(describeErr, workflowId);
        });
        return this.pending(workflowId, started.runId, !started.ours, waitMs);
      }
      const error = this.toJobError(err, workflowId);
      // The workflow failed before it could answer (the SDK then speaks of a missing update
      // handler): its own failure is the answer.
      if (error.type === JobErrorType.Unexpected || error.type === JobErrorType.JobCancelled) {
        const closed = await this.closedJob(workflowId).catch(() => null);
        if (closed?.failure) throw closedFailureError(closed, err);
      }
      throw await this.withLastStatus(error);
    }
  }

  /** The workflow's own rules, checked before anything starts: a bad request leaves nothing behind. */
  protected checkRequest(workflowId: string, input: EmailAppendJobInput): void {
    const problems = [workflowIdProblem(workflowId), ...jobInputProblems(input)].filter(
      (p): p is string => p !== null,
    );
    if (problems.length > 0)
      throw new TdgJobError(
        JobErrorType.InvalidJobRequest,
        `invalid job request: ${problems.join('; ')}`,
        workflowId,
      );
  }

  /** A repeated start of an id whose workflow has ended: say how it ended and how to start anew. */
  private async closedStartError(workflowId: string, cause: unknown): Promise<TdgJobError> {
    const closed = await this.closedJob(workflowId).catch((err: unknown) => {
      throw this.toJobError(err, workflowId);
    });
    if (!closed) return this.toJobError(cause, workflowId);
    return new TdgJobError(
      JobErrorType.WorkflowClosed,
      `workflow ${workflowId} already ${describeEnding(closed)}; a workflow id names one job forever, so nothing was started: start anew with another workflow id (or none, to have one generated)`,
      workflowId,
      closed.lastStatus,
      closed.result,
      { cause, closed },
    );
  }

  private async pending(
    workflowId: string,
    runId: string,
    alreadyStarted: boolean,
    waitedMs: number,
  ): Promise<StartedJob> {
    const pendingReason = await this.noAnswerReason(waitedMs, 'TDG job id').catch(() => 'no answer in time');
    return { workflowId, runId, jobId: null, notificationsRequested: null, alreadyStarted, pendingReason };
  }

  private describe(workflowId: string, timeoutMs = 10_000): Promise<WorkflowExecutionDescription> {
    return this.temporal.withDeadline(Date.now() + timeoutMs, () =>
      this.temporal.workflow.getHandle(workflowId).describe(),
    );
  }

  /**
   * Why a bounded wait for a worker ran out, from the pollers of `taskQueue` (a job's own, which
   * may not be this client's; default this client's): none polls it (no
   * worker runs for it), the only ones run a version that is not current (nothing is routed to
   * them), or some could answer but none did in time (busy, or TDG is slow).
   */
  async noAnswerReason(
    waitedMs: number,
    what: string,
    taskQueue: string = this.options.taskQueue,
  ): Promise<string> {
    const answer = await this.temporal.withDeadline(Date.now() + 5_000, () =>
      this.temporal.workflowService.describeTaskQueue({
        namespace: this.temporal.options.namespace,
        taskQueue: { name: taskQueue, kind: 1 },
        taskQueueType: 1,
      }),
    );
    const pollers = answer.pollers?.length ?? 0;
    if (pollers === 0) return `no worker is polling task queue ${taskQueue}`;
    const notCurrent = notCurrentPollersReason(
      taskQueue,
      answer.pollers ?? [],
      answer.versioningInfo?.currentDeploymentVersion,
    );
    if (notCurrent) return notCurrent;
    return `${pollers} worker${pollers === 1 ? '' : 's'} polled task queue ${taskQueue} lately, but no ${what} came within ${formatDuration(waitedMs)}`;
  }

  /** How the workflow ended, or null while it runs. */
  async closedJob(workflowId: string, description?: WorkflowExecutionDescription): Promise<ClosedJob | null> {
    const d = description ?? (await this.describe(workflowId));
    const workflowStatus = d.status.name;
    if (workflowStatus === 'RUNNING') return null;
    const base = {
      workflowId,
      runId: d.runId,
      workflowStatus,
      jobId: d.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
      state: d.typedSearchAttributes.get(TDG_JOB_STATE) ?? null,
      startTime: d.startTime.toISOString(),
      closeTime: d.closeTime?.toISOString() ?? null,
    };
    const handle = this.temporal.workflow.getHandle(workflowId, d.runId);
    try {
      const result = (await this.temporal.withDeadline(Date.now() + 10_000, () =>
        handle.result(),
      )) as EmailAppendJobResult;
      return { ...base, ending: 'COMPLETED', failure: null, lastStatus: null, result };
    } catch (err) {
      const error = this.toJobError(err, workflowId);
      if (error.type === JobErrorType.TemporalUnavailable) throw error;
      const ending: JobEnding =
        workflowStatus === 'TERMINATED'
          ? 'TERMINATED'
          : workflowStatus === 'CANCELLED' || error.type === JobErrorType.JobCancelled
            ? 'CANCELLED'
            : error.type === JobErrorType.JobFailed
              ? 'FAILED'
              : error.type === JobErrorType.JobDeadlineExceeded
                ? 'DEADLINE_EXCEEDED'
                : 'ERROR';
      const failure = err instanceof WorkflowFailedError ? err.cause : err;
      const type =
        failure instanceof ApplicationFailure ? (failure.type ?? 'ApplicationFailure') : error.type;
      return {
        ...base,
        ending,
        failure: { type, message: error.message },
        lastStatus: error.status,
        result: error.result,
      };
    }
  }

  /**
   * A running workflow's status query; with no worker answering within `timeoutMs`, visibility's
   * view and why (`reason`: e.g. no worker polls the task queue). A closed workflow: how it ended.
   */
  async getStatus(
    workflowId: string,
    timeoutMs = 5_000,
  ): Promise<
    | { source: 'query'; status: JobStatus }
    | { source: 'search-attributes'; status: VisibleStatus; reason: string }
    | { source: 'closed'; status: ClosedJob }
  > {
    requireWorkflowId(workflowId);
    const handle = this.temporal.workflow.getHandle(workflowId);
    // The job's own task queue: a job started on another queue is not this client's queue's business.
    let taskQueue: string;
    try {
      const description = await this.describe(workflowId);
      const closed = await this.closedJob(workflowId, description);
      if (closed) return { source: 'closed', status: closed };
      taskQueue = description.taskQueue;
    } catch (err) {
      throw this.toJobError(err, workflowId);
    }
    try {
      const status = await this.temporal.withDeadline(Date.now() + timeoutMs, () =>
        handle.query(statusQuery),
      );
      return { source: 'query', status };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw this.toJobError(err, workflowId);
      try {
        const reason = await this.noAnswerReason(timeoutMs, 'answer to the status query', taskQueue).catch(
          () => `no worker answered the status query within ${Math.round(timeoutMs / 1_000)}s`,
        );
        return { source: 'search-attributes', status: await this.visibleStatus(workflowId), reason };
      } catch (visibilityErr) {
        throw this.toJobError(visibilityErr, workflowId);
      }
    }
  }

  /** The workflow still runs (its task queue returned): else a refusal of `type` saying how it ended. */
  private async requireRunning(workflowId: string, type: JobErrorType, what: string): Promise<string> {
    let closed: ClosedJob | null;
    let taskQueue: string;
    try {
      const description = await this.describe(workflowId);
      taskQueue = description.taskQueue;
      closed = await this.closedJob(workflowId, description);
    } catch (err) {
      throw this.toJobError(err, workflowId);
    }
    if (closed)
      throw new TdgJobError(
        type,
        `workflow ${workflowId} already ${describeEnding(closed)}: ${what}`,
        workflowId,
        closed.lastStatus,
        closed.result,
        { closed },
      );
    return taskQueue;
  }

  /**
   * Asks the workflow to call getJob now and returns the fresh status: refused (CheckRefused) once
   * the job is finished or when checks come too fast; WorkerUnavailable after `timeoutMs` (30 s).
   */
  async checkNow(workflowId: string, options: WaitOptions = {}): Promise<JobStatus> {
    requireWorkflowId(workflowId);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const taskQueue = await this.requireRunning(workflowId, JobErrorType.CheckRefused, 'nothing to check');
    const deadline = Date.now() + timeoutMs;
    try {
      return await this.temporal.withDeadline(deadline, () =>
        this.temporal.workflow.getHandle(workflowId).executeUpdate(checkNowUpdate),
      );
    } catch (err) {
      if (isOwnDeadline(err, deadline)) {
        const reason = await this.noAnswerReason(timeoutMs, 'check', taskQueue).catch(
          () => 'no answer in time',
        );
        throw new TdgJobError(
          JobErrorType.WorkerUnavailable,
          `check not answered: ${reason}`,
          workflowId,
          null,
          null,
          {
            cause: err,
          },
        );
      }
      const error = this.toJobError(err, workflowId);
      // The workflow ended while the check was on its way.
      if (error.type === JobErrorType.Unexpected || error.type === JobErrorType.WorkflowNotFound)
        await this.requireRunning(workflowId, JobErrorType.CheckRefused, 'nothing to check');
      throw await this.withLastStatus(error);
    }
  }

  /** Requests cancellation: the workflow records its TDG job and ends CANCELLED (CancelRefused once it has ended). */
  async cancel(workflowId: string): Promise<void> {
    requireWorkflowId(workflowId);
    await this.requireRunning(workflowId, JobErrorType.CancelRefused, 'nothing to cancel');
    try {
      await this.temporal.workflow.getHandle(workflowId).cancel();
    } catch (err) {
      const error = this.toJobError(err, workflowId);
      if (error.type === JobErrorType.WorkflowNotFound)
        await this.requireRunning(workflowId, JobErrorType.CancelRefused, 'nothing to cancel');
      throw error;
    }
  }

  /** The batch list once TDG reports COMPLETED; rejects with a TdgJobError for every other end. */
  async waitForResult(workflowId: string): Promise<EmailAppendJobResult> {
    requireWorkflowId(workflowId);
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

  /**
   * Recent jobs, newest first (by start time; visibility's own order puts running workflows
   * first). Visibility filters on `state` (the TdgJobState search attribute), `taskQueue` and
   * `version` (`deployment:buildId`, the server's TemporalWorkerDeploymentVersion); `namePrefix`
   * on the name in each job's memo, which visibility cannot search. Reads at most 1,000 matches.
   */
  async listJobs(options: ListFilters = {}): Promise<ListedJob[]> {
    const limit = options.limit ?? 20;
    const state = options.state?.trim().toUpperCase();
    if (state !== undefined && !/^[A-Z][A-Z0-9_]{0,39}$/.test(state))
      throw new TdgJobError(JobErrorType.InvalidJobRequest, `not a TDG job state: "${options.state}"`, null);
    const clauses = [`WorkflowType = '${WORKFLOW_TYPE}'`];
    if (state) clauses.push(`${TDG_JOB_STATE.name} = '${state}'`);
    if (options.taskQueue !== undefined)
      clauses.push(`TaskQueue = '${queryLiteral('taskQueue', options.taskQueue)}'`);
    if (options.version !== undefined)
      clauses.push(`TemporalWorkerDeploymentVersion = '${queryLiteral('version', options.version)}'`);
    const filter = clauses.join(' AND ');
    const jobs: ListedJob[] = [];
    let scanned = 0;
    try {
      for await (const execution of this.temporal.workflow.list({ query: filter, pageSize: 200 })) {
        const name = jobName(execution.memo);
        if (++scanned > LIST_SCAN_LIMIT) break;
        if (options.namePrefix !== undefined && !(name ?? '').startsWith(options.namePrefix)) continue;
        jobs.push({
          workflowId: execution.workflowId,
          status: execution.status.name,
          startTime: execution.startTime.toISOString(),
          jobId: execution.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
          state: execution.typedSearchAttributes.get(TDG_JOB_STATE) ?? null,
          name,
          version: jobVersionOf(execution.typedSearchAttributes),
        });
      }
    } catch (err) {
      throw this.toJobError(err, null);
    }
    jobs.sort((a, b) => b.startTime.localeCompare(a.startTime) || a.workflowId.localeCompare(b.workflowId));
    return jobs.slice(0, limit);
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

  /** Every rejection as a TdgJobError with a stable type. */
  toJobError(err: unknown, workflowId: string | null): TdgJobError {
    if (err instanceof TdgJobError) return err;
    const wrap = (
      type: JobErrorType,
      message: string,
      status: JobStatus | null = null,
      result: EmailAppendJobResult | null = null,
    ): TdgJobError => new TdgJobError(type, message, workflowId, status, result, { cause: err });
    if (isNamespaceMissing(err)) return wrap(JobErrorType.NamespaceNotFound, describeError(err));
    // A client without the payload codec's keys meets a job the codec encrypted.
    if (/Unknown encoding: binary\/encrypted/.test(describeError(err)))
      return wrap(
        JobErrorType.InvalidConfig,
        'job data is encrypted by the payload codec: set PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE to the keys the workers use',
      );
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
  JobErrorType.NamespaceNotFound,
  JobErrorType.SetupRequired,
]);

/** The same workflow ids the CLI accepts (the contract's rule). */
function requireWorkflowId(workflowId: string): void {
  const problem = workflowIdProblem(workflowId);
  if (problem) throw new TdgJobError(JobErrorType.InvalidJobRequest, problem, null);
}

/** A start that failed inside the workflow: the workflow's own failure type and reason. */
function closedFailureError(closed: ClosedJob, cause: unknown): TdgJobError {
  const failure = closed.failure ?? { type: JobErrorType.Unexpected, message: 'the workflow ended' };
  const type =
    KNOWN_FAILURE_TYPES.get(failure.type) ??
    (closed.ending === 'CANCELLED' ? JobErrorType.JobCancelled : JobErrorType.Unexpected);
  return new TdgJobError(type, failure.message, closed.workflowId, closed.lastStatus, closed.result, {
    cause,
    closed,
  });
}

/** NOT_FOUND for the namespace itself, not for a workflow (the SDK makes both WorkflowNotFoundError). */
function isNamespaceMissing(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    if (/namespace \S+ (is )?not found|namespace not found/i.test(e.message)) return true;
  }
  return false;
}

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

/**
 * Our own deadline for a call ended it. gRPC reports that as DEADLINE_EXCEEDED, or sometimes as
 * CANCELLED (the deadline's timer cancels the call before the deadline status arrives).
 */
function isOwnDeadline(err: unknown, deadline: number): boolean {
  if (isGrpcDeadlineError(err)) return true;
  return isGrpcCancelledError(err) && Date.now() >= deadline;
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
