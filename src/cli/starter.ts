/**
 * `npm run job -- <command>`: start, follow and inspect TDG e-mail-append jobs from a shell.
 * Exit codes: see `ExitCode` (src/cli/output.ts) and `npm run job -- --help`.
 */
import type { Client, Connection } from '@temporalio/client';
import { ConfigError, loadClientConfig, type TemporalSection } from '../platform/config.js';
import { formatDuration, type JobStatus } from '../contract/index.js';
import { connectClient } from '../platform/temporal-connection.js';
import { JobErrorType, TdgJobError, TdgJobs, statusKey } from '../client/index.js';
import { jobVersionOf } from '../client/job-version.js';
import { parseCommand, usageOf, USAGE, UsageError, type Command } from './args.js';
import {
  ExitCode,
  describeError,
  describeStatusLine,
  exitCodeFor,
  finalStatus,
  formatJobTable,
  outcomeOf,
  printOutcome,
  searchAttributeHint,
  type Output,
} from './output.js';
import { createProgress, type ProgressTarget } from './progress.js';

export async function runCommand(
  command: Exclude<Command, { kind: 'help' }>,
  jobs: TdgJobs,
  io: Output,
): Promise<number> {
  const { json } = command;
  switch (command.kind) {
    case 'start': {
      const started = await jobs.startJob({
        name: command.name,
        notificationMethod: command.notificationMethod,
        ...(command.workflowId ? { workflowId: command.workflowId } : {}),
        ...(command.deadlineMs !== undefined ? { deadlineMs: command.deadlineMs } : {}),
      });
      if (started.alreadyStarted) {
        io.err(`workflow ${started.workflowId} already exists: not starting it again (no new TDG job)`);
      }
      if (!json) {
        const job = started.jobId
          ? `TDG job ${started.jobId}`
          : 'TDG job id not known yet (TDG is slow to answer)';
        io.out(`${started.alreadyStarted ? 'workflow' : 'started workflow'} ${started.workflowId}: ${job}`);
      }
      if (!command.wait) {
        if (json) io.out(JSON.stringify(started));
        return ExitCode.ok;
      }
      if (json) return printOutcome(await outcomeOf(jobs.waitForResult(started.workflowId)), json, io);
      const startedAt = await jobs.temporal.workflow
        .getHandle(started.workflowId)
        .describe()
        .then(
          (d) => d.startTime.getTime(),
          () => Date.now(),
        );
      const target: ProgressTarget = io.progress ?? {
        isTTY: false,
        write: (t) => io.out(t.replace(/\n$/, '')),
      };
      const progress = createProgress(target, { startedAt });
      let latest: JobStatus | undefined;
      let lastShown = '';
      const show = (status: JobStatus): void => {
        lastShown = statusKey(status);
        progress.change(status);
      };
      try {
        const outcome = await outcomeOf(
          jobs.follow(started.workflowId, {
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
        return printOutcome(outcome, json, io);
      } finally {
        progress.finish();
      }
    }
    case 'status': {
      const answer = await jobs.getStatus(command.workflowId, command.timeoutMs);
      // Which Worker Deployment version the current run is on (operators watch old ones drain).
      const version = await jobs.temporal.workflow
        .getHandle(command.workflowId)
        .describe()
        .then(
          (d) => jobVersionOf(d.typedSearchAttributes),
          () => null,
        );
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
      } else {
        // No worker answered in time (none running, or busy): visibility still knows the job.
        const basic = answer.status;
        const why = `no worker answered the status query within ${formatDuration(command.timeoutMs)}`;
        io.out(
          json
            ? JSON.stringify({ source: 'search-attributes', reason: why, ...basic, version }, null, 2)
            : `${basic.workflowId} job ${basic.jobId ?? '-'}: ${basic.state ?? '-'} (workflow ${basic.workflowStatus}; ${why}; from search attributes)${onVersion}`,
        );
      }
      return ExitCode.ok;
    }
    case 'result':
      return printOutcome(await outcomeOf(jobs.waitForResult(command.workflowId)), json, io);
    case 'check': {
      const status = await jobs.checkNow(command.workflowId);
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
      const list = await jobs.listJobs({
        limit: command.limit,
        ...(command.state ? { state: command.state } : {}),
      });
      if (json) io.out(JSON.stringify(list, null, 2));
      else if (list.length === 0) io.out(command.state ? `no jobs in state ${command.state}` : 'no jobs');
      else for (const line of formatJobTable(list)) io.out(line);
      return ExitCode.ok;
    }
  }
}

export async function main(): Promise<number> {
  const io: Output = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
    progress: {
      isTTY: Boolean(process.stdout.isTTY),
      get columns() {
        return process.stdout.columns;
      },
      write: (text) => void process.stdout.write(text),
    },
  };
  let config: TemporalSection;
  let parsed: Command;
  try {
    parsed = parseCommand(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`error: ${err.message}\n${USAGE}`);
    return ExitCode.usage;
  }
  if (parsed.kind === 'help') {
    io.out(usageOf(parsed.command));
    return ExitCode.ok;
  }
  const command = parsed;
  try {
    config = loadClientConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.err(err.message);
    return ExitCode.usage;
  }
  const { temporal } = config;
  let connection: Connection;
  let client: Client;
  try {
    ({ connection, client } = await connectClient(config, { connectTimeoutMs: 5_000 }));
  } catch (err) {
    io.err(`cannot reach Temporal at ${temporal.address}: ${(err as Error).message}`);
    return ExitCode.unreachable;
  }
  if (command.kind === 'start' && command.wait && !command.json) {
    // Following is only watching: the job goes on without us.
    process.once('SIGINT', () => {
      io.err(`\nstopped following; the job goes on. Later: npm run job -- status <workflow id>`);
      process.exit(130);
    });
  }
  try {
    return await runCommand(command, new TdgJobs(client, { taskQueue: temporal.taskQueue }), io);
  } catch (err) {
    if (err instanceof TdgJobError && err.type === JobErrorType.WorkflowNotFound)
      io.err(`not found: ${err.message}`);
    else io.err(`error: ${describeError(err)}`);
    const hint = searchAttributeHint(err);
    if (hint) io.err(hint);
    return exitCodeFor(err);
  } finally {
    await connection.close();
  }
}
