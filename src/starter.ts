/**
 * `npm run job -- <command>`: start, follow and inspect TDG e-mail-append jobs from a shell.
 * Exit codes: 0 completed (or started), 1 job FAILED, 2 usage or configuration error,
 * 3 workflow failed otherwise (deadline, permission, …), 4 workflow not found, 5 Temporal unreachable.
 */
import { parseArgs } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { ConfigError, loadTemporalConfig, type TemporalConfig } from './config.js';
import { parseDuration } from './shared/duration.js';
import {
  WORKFLOW_ID_PATTERN,
  describeStatusLine,
  followJob,
  jobOutcome,
  listJobs,
  queryStatus,
  sendHint,
  startJob,
  statusFromSearchAttributes,
  type JobOutcome,
} from './job-commands.js';
import type { CheckTrigger, NotificationMethod } from './shared/definitions.js';

export const USAGE = `usage: npm run job -- <command>
  start --name NAME [--workflow-id ID] [--notify GET|POST|none] [--deadline 7d] [--wait] [--json]
  status ID [--json]     current state (status query; search attributes when no worker answers)
  result ID [--json]     wait for the job's end and print its batch list
  notify ID              wake the workflow for an immediate check
  list [--limit N] [--json]`;

export const ExitCode = {
  ok: 0,
  jobFailed: 1,
  usage: 2,
  workflowFailed: 3,
  notFound: 4,
  unreachable: 5,
} as const;

export class UsageError extends Error {
  override name = 'UsageError';
}

interface Output {
  out(line: string): void;
  err(line: string): void;
}

const MAX_NAME_LENGTH = 200;

function requireWorkflowId(value: string | undefined): string {
  if (!value) throw new UsageError('a workflow id is required');
  if (!WORKFLOW_ID_PATTERN.test(value)) {
    throw new UsageError(`"${value}" is not a valid workflow id (letters, digits, . _ : -; at most 200)`);
  }
  return value;
}

function parseNotify(value: string | undefined): NotificationMethod | null {
  const normalized = (value ?? 'POST').toUpperCase();
  if (normalized === 'NONE') return null;
  if (normalized === 'GET' || normalized === 'POST') return normalized;
  throw new UsageError(`--notify must be GET, POST or none, got "${value}"`);
}

function parseLimit(value: string | undefined): number {
  const limit = Number(value ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError('--limit must be an integer 1..1000');
  return limit;
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

export type Command =
  | {
      kind: 'start';
      name: string;
      workflowId?: string;
      notificationMethod: NotificationMethod | null;
      deadlineMs?: number;
      wait: boolean;
      json: boolean;
    }
  | { kind: 'status' | 'result' | 'notify'; workflowId: string; json: boolean }
  | { kind: 'list'; limit: number; json: boolean };

/** Validates the whole command line before anything touches Temporal. */
export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        'workflow-id': { type: 'string' },
        notify: { type: 'string' },
        deadline: { type: 'string' },
        wait: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, id, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const json = values.json ?? false;
  switch (command) {
    case 'start': {
      if (id) throw new UsageError(`unexpected argument "${id}" (use --name and --workflow-id)`);
      const name = values.name?.trim();
      if (!name) throw new UsageError('--name is required and must not be empty');
      if (name.length > MAX_NAME_LENGTH)
        throw new UsageError(`--name must be at most ${MAX_NAME_LENGTH} characters`);
      let deadlineMs: number | undefined;
      try {
        deadlineMs = values.deadline === undefined ? undefined : parseDuration(values.deadline);
      } catch (err) {
        throw new UsageError(`--deadline: ${(err as Error).message}`);
      }
      if (deadlineMs !== undefined && deadlineMs < 1_000)
        throw new UsageError('--deadline must be at least 1s');
      const workflowId =
        values['workflow-id'] === undefined ? undefined : requireWorkflowId(values['workflow-id']);
      return {
        kind: 'start',
        name,
        notificationMethod: parseNotify(values.notify),
        wait: values.wait ?? false,
        json,
        ...(workflowId ? { workflowId } : {}),
        ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      };
    }
    case 'status':
    case 'result':
    case 'notify':
      return { kind: command, workflowId: requireWorkflowId(id), json };
    case 'list':
      if (id) throw new UsageError(`unexpected argument "${id}"`);
      return { kind: 'list', limit: parseLimit(values.limit), json };
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

export async function runCommand(
  command: Command,
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
      const outcome = await followJob(started.handle, (status) => {
        if (!json)
          io.out(
            `${new Date().toISOString().slice(11, 19)} ${status.jobId ?? '-'} ${describeStatusLine(status)}`,
          );
      });
      return printOutcome(outcome, json, io);
    }
    case 'status': {
      const handle = client.workflow.getHandle(command.workflowId);
      try {
        const status = await queryStatus(handle);
        io.out(
          json
            ? JSON.stringify(status, null, 2)
            : `${status.workflowId} job ${status.jobId ?? '-'}: ${describeStatusLine(status)}`,
        );
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw err;
        // No worker answered (or the workflow is closed and not cached): visibility still knows.
        const basic = await statusFromSearchAttributes(handle);
        io.out(
          json
            ? JSON.stringify(basic, null, 2)
            : `${basic.workflowId} job ${basic.jobId ?? '-'}: ${basic.state ?? '-'} (workflow ${basic.workflowStatus}; no worker answered the status query)`,
        );
      }
      return ExitCode.ok;
    }
    case 'result':
      return printOutcome(await jobOutcome(client.workflow.getHandle(command.workflowId)), json, io);
    case 'notify': {
      await sendHint(client.workflow.getHandle(command.workflowId));
      io.out(`hint sent to ${command.workflowId}: it checks the job now`);
      return ExitCode.ok;
    }
    case 'list': {
      const jobs = await listJobs(client, command.limit);
      if (json) io.out(JSON.stringify(jobs, null, 2));
      else if (jobs.length === 0) io.out('no jobs');
      else
        for (const job of jobs) {
          io.out(
            `${job.startTime}  ${job.workflowId}  ${job.status}  job ${job.jobId ?? '-'}  ${job.state ?? '-'}  ${job.name ?? ''}`,
          );
        }
      return ExitCode.ok;
    }
  }
}

async function main(): Promise<number> {
  const io: Output = {
    out: (l) => process.stdout.write(`${l}\n`),
    err: (l) => process.stderr.write(`${l}\n`),
  };
  let temporal: TemporalConfig;
  let command: Command;
  try {
    command = parseCommand(process.argv.slice(2));
    temporal = loadTemporalConfig();
  } catch (err) {
    if (err instanceof UsageError) io.err(`error: ${err.message}\n${USAGE}`);
    else io.err(err instanceof ConfigError ? err.message : String(err));
    return ExitCode.usage;
  }
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: temporal.address, connectTimeout: 5_000 });
  } catch (err) {
    io.err(`cannot reach Temporal at ${temporal.address}: ${(err as Error).message}`);
    return ExitCode.unreachable;
  }
  try {
    return await runCommand(command, new Client({ connection, namespace: temporal.namespace }), temporal, io);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      io.err(`not found: ${err.message}`);
      return ExitCode.notFound;
    }
    io.err(`error: ${(err as Error).message}`);
    return ExitCode.unreachable;
  } finally {
    await connection.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main();
}
