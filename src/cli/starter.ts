/**
 * `npm run job -- <command>`: start, follow and inspect TDG e-mail-append jobs from a shell.
 * Exit codes: see `ExitCode` (src/cli/output.ts) and `npm run job -- --help`.
 */
import { WorkflowNotFoundError, type Client, type Connection } from '@temporalio/client';
import {
  ConfigError,
  loadClientConfig,
  type TemporalConfig,
  type TemporalSection,
} from '../platform/config.js';
import { formatDuration, TDG_JOB_STATE, type JobStatus } from '../contract/index.js';
import { connectClient } from '../platform/temporal-connection.js';
import { parseCommand, usageOf, USAGE, UsageError, type Command } from './args.js';
import {
  describeStatusLine,
  followJob,
  jobOutcome,
  listJobs,
  queryStatus,
  sendHint,
  startJob,
  statusFromSearchAttributes,
  statusKey,
} from './job-commands.js';
import {
  ExitCode,
  describeError,
  exitCodeFor,
  finalStatus,
  formatJobTable,
  printOutcome,
  searchAttributeHint,
  type Output,
} from './output.js';
import { createProgress, type ProgressTarget } from './progress.js';

export async function runCommand(
  command: Exclude<Command, { kind: 'help' }>,
  client: Client,
  temporal: TemporalConfig,
  io: Output,
): Promise<number> {
  const { json } = command;
  switch (command.kind) {
    case 'start': {
      const started = await startJob(client, {
        name: command.name,
        taskQueue: temporal.taskQueue,
        notificationMethod: command.notificationMethod,
        ...(command.workflowId ? { workflowId: command.workflowId } : {}),
        ...(command.deadlineMs !== undefined ? { deadlineMs: command.deadlineMs } : {}),
      });
      if (started.alreadyStarted) {
        io.err(`workflow ${started.workflowId} already exists: not starting it again (no new TDG job)`);
      } else if (!json) {
        io.out(`started workflow ${started.workflowId}`);
      }
      if (!command.wait) {
        if (json)
          io.out(JSON.stringify({ workflowId: started.workflowId, alreadyStarted: started.alreadyStarted }));
        return ExitCode.ok;
      }
      if (json) return printOutcome(await jobOutcome(started.handle), json, io);
      const startedAt = await started.handle.describe().then(
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
        const outcome = await followJob(started.handle, show, {
          onStatus: (status) => {
            latest = status;
            progress.status(status);
          },
        });
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
      const handle = client.workflow.getHandle(command.workflowId);
      try {
        const status = await queryStatus(handle, command.timeoutMs);
        io.out(
          json
            ? JSON.stringify({ source: 'query', ...status }, null, 2)
            : `${status.workflowId} job ${status.jobId ?? '-'}: ${describeStatusLine(status)}${
                status.nextCheckAt ? `; next check ${status.nextCheckAt}` : ''
              }`,
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        // No worker answered in time (none running, or busy): visibility still knows the job.
        const basic = await statusFromSearchAttributes(handle);
        const why = `no worker answered the status query within ${formatDuration(command.timeoutMs)}`;
        io.out(
          json
            ? JSON.stringify({ source: 'search-attributes', reason: why, ...basic }, null, 2)
            : `${basic.workflowId} job ${basic.jobId ?? '-'}: ${basic.state ?? '-'} (workflow ${basic.workflowStatus}; ${why}; from search attributes)`,
        );
      }
      return ExitCode.ok;
    }
    case 'result':
      return printOutcome(await jobOutcome(client.workflow.getHandle(command.workflowId)), json, io);
    case 'notify': {
      await sendHint(client.workflow.getHandle(command.workflowId));
      io.out(
        json
          ? JSON.stringify({ workflowId: command.workflowId, hintSent: true })
          : `hint sent to ${command.workflowId}: it checks the job now`,
      );
      return ExitCode.ok;
    }
    case 'list': {
      const query = command.state ? `${TDG_JOB_STATE.name} = '${command.state}'` : undefined;
      const jobs = await listJobs(client, command.limit, query);
      if (json) io.out(JSON.stringify(jobs, null, 2));
      else if (jobs.length === 0) io.out(command.state ? `no jobs in state ${command.state}` : 'no jobs');
      else for (const line of formatJobTable(jobs)) io.out(line);
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
    return await runCommand(command, client, temporal, io);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) io.err(`not found: ${err.message}`);
    else io.err(`error: ${describeError(err)}`);
    const hint = searchAttributeHint(err);
    if (hint) io.err(hint);
    return exitCodeFor(err);
  } finally {
    await connection.close();
  }
}
