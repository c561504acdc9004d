/** What the starter prints: outcomes, status lines, the job table, one-line errors; and its exit codes. */
import { WorkflowNotFoundError, isGrpcServiceError } from '@temporalio/client';
import { type CheckTrigger, type EmailAppendJobResult, type JobStatus } from '../contract/index.js';
import type { JobOutcome, ListedJob } from './job-commands.js';
import type { ProgressTarget } from './progress.js';

export const ExitCode = {
  ok: 0,
  jobFailed: 1,
  usage: 2,
  workflowFailed: 3,
  notFound: 4,
  unreachable: 5,
  /** A bug or an answer we did not expect: not to be mistaken for an unreachable Temporal. */
  unexpected: 6,
} as const;

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Where `start --wait` shows progress: a live line on a terminal, line per change otherwise. */
  progress?: ProgressTarget;
}

const DETECTED_BY: Record<CheckTrigger, string> = {
  creation: 'by the first check',
  timer: 'by a poll timer',
  notification: 'through a notification',
  'continue-as-new': 'by the first check of a continued run',
};

export function printOutcome(outcome: JobOutcome, json: boolean, io: Output): number {
  if (json) {
    io.out(JSON.stringify(outcome, null, 2));
  } else if (outcome.kind === 'completed') {
    const { result } = outcome;
    io.out(
      `COMPLETED: TDG job ${result.jobId}, ${result.batchList.length} batches; noticed ${DETECTED_BY[result.detectedBy]} (checks ${result.checks}, notifications ${result.notifications})`,
    );
    for (const batch of result.batchList) io.out(`  ${batch}`);
  } else {
    io.err(`${outcome.failureType}: ${outcome.message}`);
    if (outcome.result) {
      io.out(`batches of TDG job ${outcome.result.jobId}:`);
      for (const batch of outcome.result.batchList) io.out(`  ${batch}`);
    }
  }
  if (outcome.kind === 'completed') return ExitCode.ok;
  return outcome.failureType === 'JobFailed' ? ExitCode.jobFailed : ExitCode.workflowFailed;
}

/** The last status read, brought up to date with the job's result. */
export function finalStatus(latest: JobStatus, result: EmailAppendJobResult): JobStatus {
  return {
    ...latest,
    jobId: result.jobId,
    state: result.state,
    counts: result.counts,
    batchList: result.batchList,
    checks: result.checks,
    notifications: result.notifications,
    nextCheckAt: null,
    lastError: null,
  };
}

/** Aligned columns for `list`: the newest first, as visibility returns them. */
export function formatJobTable(jobs: ListedJob[]): string[] {
  const rows = [
    ['STARTED (UTC)', 'STATE', 'TDG JOB', 'WORKFLOW', 'WORKFLOW ID', 'NAME'],
    ...jobs.map((job) => [
      job.startTime.slice(0, 19).replace('T', ' '),
      job.state ?? '-',
      job.jobId ?? '-',
      job.status,
      job.workflowId,
      job.name ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** One line from an error and its causes: the SDK wraps the server's reason ("Failed to start Workflow"). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    const message = text.replace(/\s+/g, ' ').trim();
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}

/** Temporal refuses a start whose search attributes the namespace does not know: say how to fix it. */
export function searchAttributeHint(err: unknown): string | null {
  if (!/search attribute/i.test(describeError(err))) return null;
  return 'the namespace lacks the TdgJobId/TdgJobState search attributes: run `npm run setup` (see README)';
}

/** gRPC status codes DEADLINE_EXCEEDED (4) and UNAVAILABLE (14): the server did not answer. */
const GRPC_CONNECTION_CODES = new Set([4, 14]);

/**
 * The exit code for an error a command did not handle: 5 only when Temporal went away, so a script
 * never retries a bug or a refusal as if the cluster were down.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof WorkflowNotFoundError) return ExitCode.notFound;
  if (searchAttributeHint(err)) return ExitCode.usage;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; depth++, e = e.cause) {
    if (isGrpcServiceError(e) && GRPC_CONNECTION_CODES.has(e.code)) return ExitCode.unreachable;
  }
  return ExitCode.unexpected;
}
