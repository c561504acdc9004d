/**
 * The starter's command line: usage texts and one validated `Command`, before anything touches
 * Temporal. Loaded on every run before the Temporal client is, so it imports only light modules:
 * the contract's input rules by their own files (the contract's index pulls in the workflow SDK).
 */
import { parseArgs } from 'node:util';
import type { NotificationMethod } from '../contract/definitions.js';
import { jobInputProblems, workflowIdProblem } from '../contract/job-input.js';
import { parseDuration } from '../platform/duration.js';
import { EXIT_CODE_LINES } from './exit-codes.js';

/** One entry per command: its synopsis and what it does (`npm run job -- <command> --help`). */
const COMMANDS = {
  start: [
    'start --name NAME [--workflow-id ID] [--notify GET|POST|none] [--deadline 7d] [--timeout 60s] [--wait] [--json]',
    "start a job and print TDG's job id (waiting at most --timeout for it); --wait follows it to its end",
  ],
  status: [
    'status ID [--timeout 5s] [--json]',
    'the status query; search attributes when no worker answers in time',
  ],
  result: ['result ID [--json]', "wait for the job's end and print its batch list"],
  follow: [
    'follow ID [--json]',
    "the live progress line of a running job (what start --wait shows), then its result; exit codes as result's",
  ],
  check: [
    'check ID [--timeout 30s] [--json]',
    'the workflow calls getJob now and prints the fresh status (alias: notify); refused once finished',
  ],
  cancel: ['cancel ID [--json]', 'cancel the job: the workflow records its TDG job and ends CANCELLED'],
  list: [
    'list [--state STATE] [--name-prefix TEXT] [--task-queue QUEUE] [--version DEPLOYMENT:BUILD_ID] [--limit N] [--json]',
    'recent jobs from visibility, newest first (STATE: CREATING, CREATED, WAITING_FOR_UPLOAD, QUEUED, IN_PROGRESS, COMPLETED, FAILED, CANCELLED, DEADLINE_EXCEEDED, ERROR; --version as the VERSION column shows it, or deployment.buildId as the worker logs it)',
  ],
} as const satisfies Record<string, readonly [string, string]>;

export type CommandName = keyof typeof COMMANDS;

/** The commands, and the aliases the parser also takes (`notify` for `check`, `help`). */
export const COMMAND_NAMES: readonly string[] = [...Object.keys(COMMANDS), 'notify', 'help'];

const EXIT_CODES = EXIT_CODE_LINES;

/** How the starter is run from this repository (`npm run job -- …`): usage texts name it by default. */
export const NPM_RUN_JOB = 'npm run job --';

/**
 * The command a person typed to run this CLI, for usage texts and hints: the packaged bin
 * (`tdg-job`, `tdg-setup`) when run as one — through its `node_modules/.bin` link, or its file
 * inside an installed package — else `npm run job --` / `npm run setup` (this repository).
 */
export function invokedAs(script: 'job' | 'setup', argv1: string | undefined = process.argv[1]): string {
  const bin = script === 'job' ? 'tdg-job' : 'tdg-setup';
  const parts = (argv1 ?? '').split(/[\\/]/);
  const file = (parts.at(-1) ?? '').replace(/\.(c?js|mjs|cmd|ps1)$/, '');
  // The bin's own file in an installed package (Windows' shims run it by path): …/node_modules/…/bin/job.js.
  const packagedFile = parts.includes('node_modules') && parts.at(-2) === 'bin' && file === script;
  if (file === bin || packagedFile) return bin;
  return script === 'job' ? NPM_RUN_JOB : 'npm run setup';
}

/** The whole usage, naming the command as it was run (`program`). */
function usageOfAll(program: string): string {
  return `usage: ${program} <command> [--help]
${Object.values(COMMANDS)
  .map(([synopsis, what]) => `  ${synopsis}\n      ${what}`)
  .join('\n')}
${EXIT_CODES}`;
}

export const USAGE = usageOfAll(NPM_RUN_JOB);

/** The usage of one command, or of all of them, naming the command as it was run (`program`). */
export function usageOf(command?: CommandName, program: string = NPM_RUN_JOB): string {
  if (command === undefined) return usageOfAll(program);
  const [synopsis, what] = COMMANDS[command];
  return `usage: ${program} ${synopsis}\n  ${what}\n${EXIT_CODES}`;
}

function isCommandName(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMANDS, name);
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const DEFAULT_TIMEOUT_MS = { start: 60_000, status: 5_000, check: 30_000 } as const;
/**
 * The states `list --state` filters on: ours (CREATING, and the final CANCELLED, DEADLINE_EXCEEDED,
 * ERROR) and TDG's known ones, CREATED first. Anything else is a typo.
 */
export const KNOWN_STATES = [
  'CREATING',
  'CREATED',
  'WAITING_FOR_UPLOAD',
  'QUEUED',
  'IN_PROGRESS',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'DEADLINE_EXCEEDED',
  'ERROR',
] as const;

/** The same rule the client applies (the contract's). */
function requireWorkflowId(value: string | undefined): string {
  const problem = workflowIdProblem(value);
  if (problem) throw new UsageError(problem);
  return value!;
}

function parseNotify(value: string | undefined): NotificationMethod | null {
  const normalized = (value ?? 'POST').toUpperCase();
  if (normalized === 'NONE') return null;
  if (normalized === 'GET' || normalized === 'POST') return normalized;
  throw new UsageError(`--notify must be GET, POST or none, got "${value}"`);
}

function parseTimeout(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
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
  if (!(KNOWN_STATES as readonly string[]).includes(state))
    throw new UsageError(`--state must be a TDG job state (${KNOWN_STATES.join(', ')}), got "${value}"`);
  return state;
}

/** A value that goes into a visibility query as a string literal: no quotes or backslashes to escape. */
function parseQueryValue(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || /['"\\`]/.test(trimmed))
    throw new UsageError(`${flag} must be a non-empty name without quotes or backslashes, got "${value}"`);
  return trimmed;
}

/**
 * `--version`: as the VERSION column shows it (`deployment:buildId`, a trailing ` (Pinned)` allowed)
 * or as the worker logs it (`deployment.buildId`; a deployment name has no dot), always returned
 * in the server's `deployment:buildId` form.
 */
function parseVersion(value: string | undefined): string | undefined {
  const given = parseQueryValue('--version', value?.replace(/\s*\((Pinned|AutoUpgrade)\)\s*$/i, ''));
  if (given === undefined) return undefined;
  const match = /^([^:.\s]+)[:.](\S+)$/.exec(given);
  if (!match)
    throw new UsageError(
      `--version must name a deployment and a build id, deployment:buildId as list shows it (or deployment.buildId as the worker logs it), got "${value}"`,
    );
  return `${match[1]}:${match[2]}`;
}

function parseLimit(value: string | undefined): number {
  const limit = Number(value ?? 20);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new UsageError('--limit must be an integer 1..1000');
  return limit;
}

export type Command =
  | { kind: 'help'; command?: CommandName }
  | {
      kind: 'start';
      name: string;
      workflowId?: string;
      notificationMethod: NotificationMethod | null;
      deadlineMs?: number;
      timeoutMs: number;
      wait: boolean;
      json: boolean;
    }
  | { kind: 'status' | 'check'; workflowId: string; timeoutMs: number; json: boolean }
  | { kind: 'result' | 'cancel' | 'follow'; workflowId: string; json: boolean }
  | {
      kind: 'list';
      limit: number;
      state?: string;
      namePrefix?: string;
      taskQueue?: string;
      version?: string;
      json: boolean;
    };

/** Options each command accepts; anything else is refused rather than silently ignored. */
export const COMMAND_OPTIONS: Readonly<Record<CommandName, readonly string[]>> = {
  start: ['name', 'workflow-id', 'notify', 'deadline', 'timeout', 'wait', 'json'],
  status: ['timeout', 'json'],
  result: ['json'],
  follow: ['json'],
  check: ['timeout', 'json'],
  cancel: ['json'],
  list: ['limit', 'state', 'name-prefix', 'task-queue', 'version', 'json'],
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
        'name-prefix': { type: 'string' },
        'task-queue': { type: 'string' },
        version: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      tokens: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals, tokens } = parsed;
  const [given, id, ...extra] = positionals;
  // `notify` was the command's first name; it stays as an alias.
  const command = given === 'notify' ? 'check' : given;
  // `--help`, `-h` and `help [command]` win over everything else on the line.
  if (command === 'help') return isCommandName(id) ? { kind: 'help', command: id } : { kind: 'help' };
  if (values.help) return isCommandName(command) ? { kind: 'help', command } : { kind: 'help' };
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (isCommandName(command)) {
    for (const token of tokens) {
      if (token.kind === 'option' && !COMMAND_OPTIONS[command].includes(token.name))
        throw new UsageError(`"${command}" does not take --${token.name}`);
    }
  }
  const json = values.json ?? false;
  switch (command) {
    case 'start': {
      if (id) throw new UsageError(`unexpected argument "${id}" (use --name and --workflow-id)`);
      const name = values.name?.trim();
      if (!name) throw new UsageError('--name is required and must not be empty');
      let deadlineMs: number | undefined;
      try {
        deadlineMs = values.deadline === undefined ? undefined : parseDuration(values.deadline);
      } catch (err) {
        throw new UsageError(`--deadline: ${(err as Error).message}`);
      }
      const workflowId =
        values['workflow-id'] === undefined ? undefined : requireWorkflowId(values['workflow-id']);
      const notificationMethod = parseNotify(values.notify);
      // The workflow's own rules (the contract's), before anything starts.
      const problems = jobInputProblems({
        name,
        notificationMethod,
        ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      }).map((problem) => problem.replace(/^name /, '--name ').replace(/^deadline /, '--deadline '));
      if (problems.length > 0) throw new UsageError(problems.join('; '));
      return {
        kind: 'start',
        name,
        notificationMethod,
        timeoutMs: parseTimeout(values.timeout, DEFAULT_TIMEOUT_MS.start),
        wait: values.wait ?? false,
        json,
        ...(workflowId ? { workflowId } : {}),
        ...(deadlineMs !== undefined ? { deadlineMs } : {}),
      };
    }
    case 'status':
    case 'check':
      return {
        kind: command,
        workflowId: requireWorkflowId(id),
        timeoutMs: parseTimeout(values.timeout, DEFAULT_TIMEOUT_MS[command]),
        json,
      };
    case 'result':
    case 'cancel':
    case 'follow':
      return { kind: command, workflowId: requireWorkflowId(id), json };
    case 'list': {
      if (id) throw new UsageError(`unexpected argument "${id}"`);
      const state = parseState(values.state);
      const namePrefix = values['name-prefix'];
      if (namePrefix !== undefined && namePrefix.trim() === '')
        throw new UsageError('--name-prefix must not be empty');
      const taskQueue = parseQueryValue('--task-queue', values['task-queue']);
      const version = parseVersion(values.version);
      return {
        kind: 'list',
        limit: parseLimit(values.limit),
        json,
        ...(state ? { state } : {}),
        ...(namePrefix !== undefined ? { namePrefix } : {}),
        ...(taskQueue !== undefined ? { taskQueue } : {}),
        ...(version !== undefined ? { version } : {}),
      };
    }
    case undefined:
      throw new UsageError('a command is required');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}
