/**
 * `npm run job -- <command>`: start, follow and inspect TDG e-mail-append jobs from a shell.
 * Exit codes: see `ExitCode` (src/cli/output.ts) and `npm run job -- --help`.
 */
import type { Client, Connection } from '@temporalio/client';
import { ConfigError } from '../platform/env/schema.js';
import { loadClientConfig, type TemporalSection } from '../platform/env/temporal.js';
import { formatDuration, type JobStatus } from '../contract/index.js';
import { connectClient } from '../platform/temporal-connection.js';
import {
  connectFailure,
  JobErrorType,
  TdgJobError,
  TdgJobs,
  defaultWorkflowId,
  describeEnding,
  statusKey,
  type ClosedJob,
} from '../client/index.js';
import { jobVersionOf } from '../client/job-version.js';
import { invokedAs, NPM_RUN_JOB, UsageError, type Command } from './args.js';
import { processOutput, reportUsageError } from './main.js';
import {
  ExitCode,
  errorDocument,
  describeError,
  describeStatusLine,
  exitCodeFor,
  finalStatus,
  formatJobTable,
  outcomeOf,
  printOutcome,
  searchAttributeHint,
  type Output,
  type ProgressTarget,
} from './output.js';
import { createProgress } from './progress.js';

/** How `runCommand` names itself in hints, and what it tells its caller while it runs. */
export interface RunOptions {
  /** The command as it was run (`invokedAs`): `npm run job --` or `tdg-job`. */
  program?: string;
  /** `start --wait` (not `--json`) has started the job and now only follows it: Ctrl-C may stop following. */
  onFollowing?: (workflowId: string) => void;
}

/** What Ctrl-C while following prints: the job goes on, and how to look at it later. */
export function stoppedFollowingLine(workflowId: string, program: string = NPM_RUN_JOB): string {
  return `stopped following; the job goes on. Later: ${program} status ${workflowId}`;
}

export async function runCommand(
  command: Exclude<Command, { kind: 'help' }>,
  jobs: TdgJobs,
  io: Output,
  options: RunOptions = {},
): Promise<number> {
  const { json } = command;
  const program = options.program ?? NPM_RUN_JOB;
  switch (command.kind) {
    case 'start': {
      // Generated here, so it is printed whatever happens next.
      const workflowId = command.workflowId ?? defaultWorkflowId(command.name);
      if (!command.workflowId && !json) io.err(`workflow id: ${workflowId} (generated)`);
      const started = await jobs.startJob({
        name: command.name,
        notificationMethod: command.notificationMethod,
        workflowId,
        jobIdTimeoutMs: command.timeoutMs,
        ...(command.deadlineMs !== undefined ? { deadlineMs: command.deadlineMs } : {}),
      });
      if (started.jobId === null) {
        throw new TdgJobError(
          JobErrorType.WorkerUnavailable,
          `started workflow ${started.workflowId}, but TDG's job id did not come within ${formatDuration(command.timeoutMs)}: ${started.pendingReason ?? 'no answer'}; the job goes on once a worker runs (${program} status ${started.workflowId})`,
          started.workflowId,
        );
      }
      if (started.alreadyStarted) {
        io.err(`workflow ${started.workflowId} already exists: not starting it again (no new TDG job)`);
      }
      if (!json) {
        io.out(
          `${started.alreadyStarted ? 'workflow' : 'started workflow'} ${started.workflowId}: TDG job ${started.jobId}`,
        );
      }
      if (!command.wait) {
        if (json) io.out(JSON.stringify(started));
        return ExitCode.ok;
      }
      if (json) return printOutcome(await outcomeOf(jobs.waitForResult(started.workflowId)), json, io);
      return followWithProgress(jobs, started.workflowId, io, options);
    }
    case 'status': {
      // Which Worker Deployment version the current run is on (operators watch old ones drain);
      // asked alongside the status, not after it: a person waits for both.
      const [answer, version] = await Promise.all([
        jobs.getStatus(command.workflowId, command.timeoutMs),
        jobs.temporal.workflow
          .getHandle(command.workflowId)
          .describe()
          .then(
            (d) => jobVersionOf(d.typedSearchAttributes),
            () => null,
          ),
      ]);
      const onVersion = `; version ${version ?? 'unversioned'}`;
      if (answer.source === 'query') {
        const { status } = answer;
        io.out(
          json
            ? JSON.stringify({ source: 'query', ...status, version }, null, 2)
            : `${status.workflowId} job ${status.jobId ?? '-'}: ${describeStatusLine(status)}${
                status.nextCheckAt ? `; next check ${status.nextCheckAt}` : ''
              }${onVersion}`,
        );
      } else if (answer.source === 'closed') {
        io.out(
          json
            ? JSON.stringify({ source: 'closed', ...answer.status, version }, null, 2)
            : `${closedLine(answer.status)}${onVersion}`,
        );
      } else {
        // No worker answered in time (none running, or busy): visibility still knows the job.
        const basic = answer.status;
        io.out(
          json
            ? JSON.stringify(
                { source: 'search-attributes', reason: answer.reason, ...basic, version },
                null,
                2,
              )
            : `${basic.workflowId} job ${basic.jobId ?? '-'}: ${basic.state ?? '-'} (workflow ${basic.workflowStatus}; ${answer.reason}; from search attributes)${onVersion}`,
        );
      }
      return ExitCode.ok;
    }
    case 'result':
      return printOutcome(await outcomeOf(jobs.waitForResult(command.workflowId)), json, io);
    case 'follow':
      // --json has no live line: the result's document, as `result --json` prints it.
      if (json) return printOutcome(await outcomeOf(jobs.waitForResult(command.workflowId)), json, io);
      return followWithProgress(jobs, command.workflowId, io, options);
    case 'check': {
      const status = await jobs.checkNow(command.workflowId, { timeoutMs: command.timeoutMs });
      io.out(
        json
          ? JSON.stringify(status, null, 2)
          : `${status.workflowId} job ${status.jobId ?? '-'}: ${describeStatusLine(status)} (checked now)`,
      );
      return ExitCode.ok;
    }
    case 'cancel': {
      await jobs.cancel(command.workflowId);
      io.out(
        json
          ? JSON.stringify({ workflowId: command.workflowId, cancelRequested: true })
          : `cancellation requested for ${command.workflowId}`,
      );
      return ExitCode.ok;
    }
    case 'list': {
      const { kind: _kind, json: _json, ...filters } = command;
      const list = await jobs.listJobs(filters);
      if (json) io.out(JSON.stringify(list, null, 2));
      else if (list.length === 0) io.out(`no jobs${describeFilters(command)}`);
      else for (const line of formatJobTable(list)) io.out(line);
      return ExitCode.ok;
    }
  }
}

/**
 * The live progress line (a terminal) or a line per change (elsewhere) until the job ends, then its
 * outcome with `result`'s exit codes: what `start --wait` shows once it has the job id, and all
 * `follow` does. Elapsed counts from the workflow's start, so re-attaching shows the job's age.
 */
async function followWithProgress(
  jobs: TdgJobs,
  workflowId: string,
  io: Output,
  options: RunOptions,
): Promise<number> {
  // Unknown (no such workflow): now; the result then says what is wrong, as `result` does.
  const startedAt = await jobs.temporal.workflow
    .getHandle(workflowId)
    .describe()
    .then(
      (d) => d.startTime.getTime(),
      () => Date.now(),
    );
  const target: ProgressTarget = io.progress ?? {
    isTTY: false,
    write: (t) => io.out(t.replace(/\n$/, '')),
  };
  options.onFollowing?.(workflowId);
  const progress = createProgress(target, { startedAt });
  let latest: JobStatus | undefined;
  let lastShown = '';
  const show = (status: JobStatus): void => {
    lastShown = statusKey(status);
    progress.change(status);
  };
  try {
    const outcome = await outcomeOf(
      jobs.follow(workflowId, {
        onChange: show,
        onStatus: (status) => {
          latest = status;
          progress.status(status);
        },
      }),
    );
    // The workflow may end between two status reads: its result has the final state.
    if (latest && outcome.result) {
      const final = finalStatus(latest, outcome.result);
      if (statusKey(final) !== lastShown) show(final);
    }
    progress.finish();
    return printOutcome(outcome, false, io);
  } finally {
    progress.finish();
  }
}

/** A closed workflow's status line: how it ended, as `list` shows it. */
export function closedLine(closed: ClosedJob): string {
  const last = closed.lastStatus
    ? `; last status: ${describeStatusLine(closed.lastStatus)}`
    : closed.result
      ? `; ${closed.result.batchList.length} batches`
      : '';
  return `${closed.workflowId} job ${closed.jobId ?? '-'}: ${closed.state ?? closed.ending} (workflow ${closed.workflowStatus}; ${describeEnding(closed)}${last})`;
}

/** One failure: with --json exactly one document on stdout, else one line (two with a hint) on stderr. */
export function reportError(err: unknown, json: boolean, io: Output, program: string = NPM_RUN_JOB): number {
  if (err instanceof UsageError) return reportUsageError(err, json, io, program);
  if (json) {
    io.out(JSON.stringify(errorDocument(err), null, 2));
    return exitCodeFor(err);
  }
  if (err instanceof TdgJobError) {
    const where =
      err.workflowId && !err.message.includes(err.workflowId) ? ` (workflow ${err.workflowId})` : '';
    io.err(`${err.type}: ${err.message}${where}`);
  } else io.err(`error: ${describeError(err)}`);
  const hint = searchAttributeHint(err);
  if (hint) io.err(hint);
  return exitCodeFor(err);
}

/** What `list` filtered on, for "no jobs …": e.g. ` in state FAILED, named "Nightly…"`. */
function describeFilters(command: Extract<Command, { kind: 'list' }>): string {
  const parts = [
    command.state ? `in state ${command.state}` : '',
    command.namePrefix !== undefined ? `named "${command.namePrefix}…"` : '',
    command.taskQueue ? `on task queue ${command.taskQueue}` : '',
    command.version ? `on version ${command.version}` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/** A parsed command (not `--help`) against Temporal: configuration, connection, the command, its errors. */
export async function runParsed(
  command: Exclude<Command, { kind: 'help' }>,
  io: Output = processOutput(),
  program: string = invokedAs('job'),
): Promise<number> {
  let config: TemporalSection;
  try {
    config = loadClientConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return reportError(
      new TdgJobError(JobErrorType.InvalidConfig, err.message, null, null, null, { cause: err }),
      command.json,
      io,
      program,
    );
  }
  const { temporal } = config;
  let connection: Connection;
  let client: Client;
  try {
    ({ connection, client } = await connectClient(config, { connectTimeoutMs: 5_000 }));
  } catch (err) {
    return reportError(connectFailure(err, temporal.address), command.json, io, program);
  }
  // Following is only watching: once the job is started, Ctrl-C stops following and the job goes on.
  const onFollowing = (workflowId: string): void => {
    process.once('SIGINT', () => {
      io.err(`\n${stoppedFollowingLine(workflowId, program)}`);
      process.exit(130);
    });
  };
  try {
    return await runCommand(command, new TdgJobs(client, { taskQueue: temporal.taskQueue }), io, {
      program,
      onFollowing,
    });
  } catch (err) {
    return reportError(err, command.json, io, program);
  } finally {
    await connection.close();
  }
}
