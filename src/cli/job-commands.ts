/**
 * What the starter CLI (and the embedded stack) does with a Temporal client: start a job
 * idempotently, follow it, read its status and result. No process concerns here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import {
  FailureType,
  TDG_JOB_ID,
  TDG_JOB_STATE,
  WORKFLOW_TYPE,
  jobNotificationSignal,
  statusQuery,
  totalBatches,
  type EmailAppendJobInput,
  type EmailAppendJobResult,
  type JobStatus,
  type NotificationMethod,
} from '../contract/definitions.js';
import type { emailAppendJob } from '../../workflows/index.js';
import { escapeMarkdown } from '../../workflows/details.js';
import { formatDuration } from '../contract/index.js';

export const WORKFLOW_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

export interface StartJobOptions {
  name: string;
  taskQueue: string;
  workflowId?: string;
  notificationMethod: NotificationMethod | null;
  deadlineMs?: number;
  polling?: EmailAppendJobInput['polling'];
}

export interface StartedJob {
  workflowId: string;
  /** True when a workflow with this id already existed: nothing new was started, no TDG job created. */
  alreadyStarted: boolean;
  handle: WorkflowHandle<typeof emailAppendJob>;
}

export function defaultWorkflowId(name: string, now = new Date()): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const stamp = now
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  const suffix = Math.random().toString(36).slice(2, 8);
  return `tdg-${slug || 'job'}-${stamp}-${suffix}`;
}

/** The Web UI's static "Details" (markdown): what this job was started with. No secrets. */
export function staticDetails(options: StartJobOptions, workflowId: string): string {
  const notify = options.notificationMethod
    ? `${options.notificationMethod} to our webhook listener (a hint; getJob decides)`
    : 'none: polling only';
  return [
    `- **job name:** ${escapeMarkdown(options.name)}`,
    `- **notifications:** ${notify}`,
    `- **deadline:** ${options.deadlineMs === undefined ? '7d (default)' : formatDuration(options.deadlineMs)} from the start`,
    `- **progress:** Current Details, or \`npm run job -- status ${workflowId}\``,
  ].join('\n');
}

export async function startJob(client: Client, options: StartJobOptions): Promise<StartedJob> {
  const workflowId = options.workflowId ?? defaultWorkflowId(options.name);
  const input: EmailAppendJobInput = {
    name: options.name,
    outputFormat: 'JSON',
    notificationMethod: options.notificationMethod,
    ...(options.deadlineMs !== undefined ? { deadlineMs: options.deadlineMs } : {}),
    ...(options.polling ? { polling: options.polling } : {}),
  };
  try {
    const handle = await client.workflow.start<typeof emailAppendJob>(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: options.taskQueue,
      args: [input],
      // A workflow id names one TDG job forever: never start it again, even after it closed.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      workflowIdConflictPolicy: 'FAIL',
      memo: { jobName: options.name },
      staticSummary: `TDG job ${options.name}`,
      staticDetails: staticDetails(options, workflowId),
      typedSearchAttributes: new TypedSearchAttributes([{ key: TDG_JOB_STATE, value: 'PENDING' }]),
    });
    return { workflowId, alreadyStarted: false, handle };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { workflowId, alreadyStarted: true, handle: client.workflow.getHandle(workflowId) };
    }
    throw err;
  }
}

export type JobOutcome =
  | { kind: 'completed'; result: EmailAppendJobResult }
  | { kind: 'failed'; failureType: string; message: string; result: EmailAppendJobResult | null };

/** Waits for the workflow's end and turns a workflow failure into data. */
export async function jobOutcome(handle: WorkflowHandle): Promise<JobOutcome> {
  try {
    return { kind: 'completed', result: (await handle.result()) as EmailAppendJobResult };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const detail = cause.details?.[0];
      const result = cause.type === FailureType.JobFailed ? (detail as EmailAppendJobResult) : null;
      return {
        kind: 'failed',
        failureType: cause.type ?? 'ApplicationFailure',
        message: cause.message,
        result,
      };
    }
    return {
      kind: 'failed',
      failureType: cause?.name ?? 'WorkflowFailed',
      message: cause?.message ?? err.message,
      result: null,
    };
  }
}

/**
 * The workflow's `status` query. With `timeoutMs` the call gives up after that long: a query
 * waits for a worker to answer, and with no worker polling it would otherwise hang for the
 * client's default RPC deadline.
 */
export async function queryStatus(handle: WorkflowHandle, timeoutMs?: number): Promise<JobStatus> {
  if (timeoutMs === undefined) return handle.query(statusQuery);
  return handle.client.withDeadline(Date.now() + timeoutMs, () => handle.query(statusQuery));
}

export interface VisibleStatus {
  workflowId: string;
  jobId: string | null;
  state: string | null;
  workflowStatus: string;
  name: string | null;
  startTime: string;
  closeTime: string | null;
}

/** Status from visibility alone: works when no worker is running to answer the query. */
export async function statusFromSearchAttributes(handle: WorkflowHandle): Promise<VisibleStatus> {
  const description = await handle.describe();
  const memo = description.memo as { jobName?: unknown } | undefined;
  return {
    workflowId: handle.workflowId,
    jobId: description.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
    state: description.typedSearchAttributes.get(TDG_JOB_STATE) ?? null,
    workflowStatus: description.status.name,
    name: typeof memo?.jobName === 'string' ? memo.jobName : null,
    startTime: description.startTime.toISOString(),
    closeTime: description.closeTime?.toISOString() ?? null,
  };
}

export interface FollowOptions {
  /** How often the status query runs (default 250 ms). */
  intervalMs?: number;
  /** Bound on each status query, so a missing worker never stalls the loop (default 2 s). */
  queryTimeoutMs?: number;
  /** Called with every status read, changed or not (live displays: next check time, elapsed). */
  onStatus?: (status: JobStatus) => void;
}

/** What makes a status news for `followJob`: its job id, state, counts or last error. */
export function statusKey(status: JobStatus): string {
  return JSON.stringify([status.jobId, status.state, status.counts, status.lastError]);
}

/**
 * Follows a job until it ends, calling `onChange` whenever its job id, state, counts or last
 * error change. Query failures (no worker yet) are tolerated: the result decides.
 */
export async function followJob(
  handle: WorkflowHandle,
  onChange: (status: JobStatus) => void,
  options: FollowOptions | number = {},
): Promise<JobOutcome> {
  const {
    intervalMs = 250,
    queryTimeoutMs = 2_000,
    onStatus,
  } = typeof options === 'number' ? { intervalMs: options } : options;
  let finished = false;
  const outcome = jobOutcome(handle).finally(() => {
    finished = true;
  });
  let last = '';
  const report = async (): Promise<void> => {
    try {
      const status = await queryStatus(handle, queryTimeoutMs);
      onStatus?.(status);
      const key = statusKey(status);
      if (key !== last) {
        last = key;
        onChange(status);
      }
    } catch {
      // No worker answering yet, or the workflow just closed: the next round or the result tells.
    }
  };
  while (!finished) {
    await report();
    await Promise.race([
      outcome.then(
        () => undefined,
        () => undefined,
      ),
      // Unref'd: once the outcome is in, a pending pause must not keep the process alive.
      sleep(intervalMs, undefined, { ref: false }),
    ]);
  }
  return outcome;
}

export async function sendHint(handle: WorkflowHandle, method = 'CLI'): Promise<void> {
  await handle.signal(jobNotificationSignal, { method, receivedAt: new Date().toISOString() });
}

export interface ListedJob {
  workflowId: string;
  status: string;
  startTime: string;
  jobId: string | null;
  state: string | null;
  name: string | null;
}

export async function listJobs(client: Client, limit: number, query?: string): Promise<ListedJob[]> {
  const jobs: ListedJob[] = [];
  const filter = `WorkflowType = '${WORKFLOW_TYPE}'${query ? ` AND (${query})` : ''}`;
  for await (const execution of client.workflow.list({ query: filter, pageSize: Math.min(limit, 100) })) {
    const memo = execution.memo as { jobName?: unknown } | undefined;
    jobs.push({
      workflowId: execution.workflowId,
      status: execution.status.name,
      startTime: execution.startTime.toISOString(),
      jobId: execution.typedSearchAttributes.get(TDG_JOB_ID) ?? null,
      state: execution.typedSearchAttributes.get(TDG_JOB_STATE) ?? null,
      name: typeof memo?.jobName === 'string' ? memo.jobName : null,
    });
    if (jobs.length >= limit) break;
  }
  return jobs;
}

export function describeStatusLine(status: JobStatus): string {
  const counts = status.counts;
  const batches = counts
    ? `${counts.completed}/${totalBatches(counts)} batches completed`
    : 'no batch counts yet';
  const error = status.lastError ? `; last error: ${status.lastError}` : '';
  return `${status.state} — ${batches} (checks ${status.checks}, notifications ${status.notifications})${error}`;
}
