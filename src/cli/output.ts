/** What the starter prints: outcomes, status lines, the job table, one-line errors; and its exit codes. */
import { describeError, JobErrorType, TdgJobError, type ListedJob } from '../client/index.js';
import {
  SEARCH_ATTRIBUTE_NAMES,
  totalBatches,
  type CheckTrigger,
  type EmailAppendJobResult,
  type JobStatus,
} from '../contract/index.js';
import { CliErrorType, ExitCode } from './exit-codes.js';

export { describeError };
export { CliErrorType, EXIT_CODE_LINES, ExitCode } from './exit-codes.js';

/** Where the starter writes (its stdout/stderr): progress lines and outcomes. */
export interface ProgressTarget {
  write(text: string): void;
  isTTY: boolean;
  /** Terminal width; the live line never wraps. */
  columns?: number;
}

/**
 * How a job ended, as the starter prints it. `--json`: `{ kind: 'completed', result }` on success;
 * a failure is the documented error document (`errorDocument(error)`), like every other failure.
 */
export type JobOutcome =
  | { kind: 'completed'; result: EmailAppendJobResult }
  | {
      kind: 'failed';
      failureType: string;
      message: string;
      result: EmailAppendJobResult | null;
      /** The typed error (its workflow id, last status, result): what `--json` prints. */
      error: TdgJobError;
    };

/** `--json` on failure: exactly one document on stdout. */
export function errorDocument(err: unknown): { error: Record<string, unknown> } {
  if (err instanceof TdgJobError) return { error: err.toJSON() };
  if (err instanceof Error && err.name === 'UsageError')
    return { error: { type: CliErrorType.UsageError, message: err.message } };
  return { error: { type: JobErrorType.Unexpected, message: describeError(err) } };
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Where `start --wait` shows progress: a live line on a terminal, line per change otherwise. */
  progress?: ProgressTarget;
}

const DETECTED_BY: Record<CheckTrigger, string> = {
  creation: 'by the first check',
  timer: 'by a check on its timer',
  notification: 'through a notification',
  manual: 'by a manual check',
  'continue-as-new': 'by the first check of a continued run',
};

export function printOutcome(outcome: JobOutcome, json: boolean, io: Output): number {
  if (json) {
    // A failure is `{ error: { type, message, workflowId, … } }` like any other (README "Exit codes").
    io.out(JSON.stringify(outcome.kind === 'completed' ? outcome : errorDocument(outcome.error), null, 2));
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
  if (outcome.failureType === JobErrorType.JobFailed) return ExitCode.jobFailed;
  return exitCodeForType(outcome.failureType);
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
    possibleDuplicateTdgJob: result.possibleDuplicateTdgJob ?? latest.possibleDuplicateTdgJob,
  };
}

/** Aligned columns for `list`: the newest first, as visibility returns them. */
export function formatJobTable(jobs: ListedJob[]): string[] {
  const rows = [
    ['STARTED (UTC)', 'STATE', 'TDG JOB', 'WORKFLOW', 'WORKFLOW ID', 'VERSION', 'NAME'],
    ...jobs.map((job) => [
      job.startTime.slice(0, 19).replace('T', ' '),
      job.state ?? '-',
      job.jobId ?? '-',
      job.status,
      job.workflowId,
      job.version ?? '-',
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

/** Temporal refuses a start whose search attributes the namespace does not know: say how to fix it. */
export function searchAttributeHint(err: unknown): string | null {
  if (!/search attribute/i.test(describeError(err))) return null;
  return `the namespace lacks the workflow's search attributes (${SEARCH_ATTRIBUTE_NAMES.join(', ')}): run \`npm run setup\` (see README)`;
}

/** The outcome of a job as data: its result, or the typed failure (JobFailed still has the batch list). */
export async function outcomeOf(result: Promise<EmailAppendJobResult>): Promise<JobOutcome> {
  try {
    return { kind: 'completed', result: await result };
  } catch (err) {
    if (!(err instanceof TdgJobError) || !OUTCOME_TYPES.has(err.type)) throw err;
    return { kind: 'failed', failureType: err.type, message: err.message, result: err.result, error: err };
  }
}

/** Ends of a job the starter reports as its outcome; any other error is a command failure. */
const OUTCOME_TYPES = new Set<string>([
  JobErrorType.JobFailed,
  JobErrorType.JobDeadlineExceeded,
  JobErrorType.JobCancelled,
  JobErrorType.JobTerminated,
  JobErrorType.NotPermitted,
  JobErrorType.NotAuthenticated,
  JobErrorType.InvalidJobRequest,
  JobErrorType.JobNotFound,
  JobErrorType.Unexpected,
]);

/**
 * The exit code for an error a command did not handle: 5 only when Temporal did not answer, so a
 * script never retries a bug or a refusal as if the cluster were down.
 */
export function exitCodeFor(err: unknown): number {
  if (err instanceof Error && err.name === 'UsageError') return ExitCode.usage;
  if (!(err instanceof TdgJobError)) return ExitCode.unexpected;
  return exitCodeForType(err.type);
}

export function exitCodeForType(type: string): number {
  switch (type) {
    case JobErrorType.JobFailed:
      return ExitCode.jobFailed;
    case JobErrorType.InvalidConfig:
    case JobErrorType.InvalidJobRequest:
    case JobErrorType.TlsRefused:
      return ExitCode.usage;
    case JobErrorType.WorkflowNotFound:
      return ExitCode.notFound;
    case JobErrorType.TemporalUnavailable:
      return ExitCode.unreachable;
    case JobErrorType.NamespaceNotFound:
    case JobErrorType.SetupRequired:
      return ExitCode.setup;
    case JobErrorType.WorkerUnavailable:
      return ExitCode.noWorker;
    case JobErrorType.Unexpected:
      return ExitCode.unexpected;
    default:
      // A refusal with a reason (CheckRefused, CancelRefused, WorkflowClosed, NotPermitted, …).
      return ExitCode.refused;
  }
}

export function describeStatusLine(status: JobStatus): string {
  const counts = status.counts;
  const batches = counts
    ? `${counts.completed}/${totalBatches(counts)} batches completed`
    : 'no batch counts yet';
  const error = status.lastError ? `; last error: ${status.lastError}` : '';
  const duplicate = status.possibleDuplicateTdgJob
    ? `; possible duplicate TDG job: look for other jobs named after ${status.workflowId} (README)`
    : '';
  return `${status.state} — ${batches} (checks ${status.checks}, notifications ${status.notifications})${error}${duplicate}`;
}
