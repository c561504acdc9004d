/**
 * `npm run job -- <command>`: start, follow and inspect TDG e-mail-append jobs from a shell.
 * Exit codes: 0 completed (or started), 1 job FAILED, 2 usage or configuration error,
 * 3 workflow failed otherwise (deadline, permission, …), 4 workflow not found, 5 Temporal unreachable.
 */
import { parseArgs } from 'node:util';
import { type Client, type Connection, WorkflowNotFoundError } from '@temporalio/client';
import {
  ConfigError,
  loadClientConfig,
  type TemporalConfig,
  type TemporalSection,
} from '../platform/config.js';
import { formatDuration, parseDuration } from '../platform/duration.js';
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
  statusKey,
  type JobOutcome,
  type ListedJob,
} from './job-commands.js';
import { createProgress, type ProgressTarget } from './progress.js';
import {
  TDG_JOB_STATE,
  type CheckTrigger,
  type EmailAppendJobResult,
  type JobStatus,
  type NotificationMethod,
} from '../contract/definitions.js';
import { connectClient } from '../platform/temporal-connection.js';

export const USAGE = `usage: npm run job -- <command>
  start --name NAME [--workflow-id ID] [--notify GET|POST|none] [--deadline 7d] [--wait] [--json]
                      start a job; --wait follows it to its end (a live line on a terminal)
  status ID [--timeout 5s] [--json]
                      the status query; search attributes when no worker answers in time
  result ID [--json]  wait for the job's end and print its batch list
  notify ID [--json]  wake the workflow for an immediate check
  list [--state STATE] [--limit N] [--json]
                      recent jobs from visibility, newest first`;

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

export interface Output {
  out(line: string): void;
  err(line: string): void;
  /** Where `start --wait` shows progress: a live line on a terminal, line per change otherwise. */
  progress?: ProgressTarget;
}

const MAX_NAME_LENGTH = 200;
const DEFAULT_STATUS_TIMEOUT_MS = 5_000;
const STATE_PATTERN = /^[A-Z][A-Z0-9_]{0,39}$/;

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

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_STATUS_TIMEOUT_MS;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new UsageError(`--timeout: ${(err as Error).message}`);
  }
  if (ms < 100 || ms > 300_000) throw new UsageError('--timeout must be between 100ms and 5m');
  return ms;
}

function parseState(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const state = value.trim().toUpperCase();
  if (!STATE_PATTERN.test(state))
    throw new UsageError(`--state must be a TDG job state such as IN_PROGRESS or COMPLETED, got "${value}"`);
  return state;
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
  | { kind: 'status'; workflowId: string; timeoutMs: number; json: boolean }
  | { kind: 'result' | 'notify'; workflowId: string; json: boolean }
  | { kind: 'list'; limit: number; state?: string; json: boolean };

/** Options each command accepts; anything else is refused rather than silently ignored. */
const ALLOWED: Record<string, readonly string[]> = {
  start: ['name', 'workflow-id', 'notify', 'deadline', 'wait', 'json'],
  status: ['timeout', 'json'],
  result: ['json'],
  notify: ['json'],
  list: ['limit', 'state', 'json'],
};

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
        state: { type: 'string' },
        timeout: { type: 'string' },
      },
      tokens: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  const [command, id, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const allowed = command === undefined ? undefined : ALLOWED[command];
  if (allowed) {
    for (const token of tokens) {
      if (token.kind === 'option' && !allowed.includes(token.name))
        throw new UsageError(`"${command}" does not take --${token.name}`);
    }
  }
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
      return {
        kind: 'status',
        workflowId: requireWorkflowId(id),
        timeoutMs: parseTimeout(values.timeout),
        json,
      };
    case 'result':
    case 'notify':
      return { kind: command, workflowId: requireWorkflowId(id), json };
    case 'list': {
      if (id) throw new UsageError(`unexpected argument "${id}"`);
      const state = parseState(values.state);
      return { kind: 'list', limit: parseLimit(values.limit), json, ...(state ? { state } : {}) };
    }
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
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
  let command: Command;
  try {
    command = parseCommand(process.argv.slice(2));
    config = loadClientConfig();
  } catch (err) {
    if (err instanceof UsageError) io.err(`error: ${err.message}\n${USAGE}`);
    else io.err(err instanceof ConfigError ? err.message : String(err));
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
    if (err instanceof WorkflowNotFoundError) {
      io.err(`not found: ${err.message}`);
      return ExitCode.notFound;
    }
    io.err(`error: ${describeError(err)}`);
    const hint = searchAttributeHint(err);
    if (hint) {
      io.err(hint);
      return ExitCode.usage;
    }
    return ExitCode.unreachable;
  } finally {
    await connection.close();
  }
}
