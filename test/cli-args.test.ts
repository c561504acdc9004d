/** src/cli/args.ts: the starter's arguments, parsed and refused before anything touches Temporal. */
import { describe, expect, it } from 'vitest';
import { invokedAs, parseCommand, usageOf, UsageError } from '../src/cli/args.js';
import { EXIT_CODE_LINES } from '../src/cli/output.js';

const TEN_THOUSAND = 'x'.repeat(10_000);

describe('starter argument validation', () => {
  it.each([
    [[], /a command is required/],
    [['start'], /--name is required/],
    [['start', '--name', '   '], /--name is required/],
    [['start', '--name', 'x'.repeat(201)], /at most 200/],
    [['start', '--name', 'x', '--notify', 'SMS'], /--notify must be GET, POST or none/],
    [['start', '--name', 'x', '--deadline', 'tomorrow'], /--deadline/],
    [['start', '--name', 'x', '--workflow-id', 'has space'], /not a valid workflow id/],
    [['status'], /a workflow id is required/],
    [['result', '../etc'], /not a valid workflow id/],
    [['list', '--limit', '0'], /--limit/],
    [['start', '--name', 'x', '--bogus'], /Unknown option/],
    [['launch'], /unknown command "launch"/],
    [['status', 'wf-1', '--timeout', 'soon'], /--timeout: invalid duration "soon"/],
    [['status', 'wf-1', '--timeout', '10m'], /--timeout must be between 100ms and 5m/],
    [['status', 'wf-1', '--name', 'x'], /"status" does not take --name/],
    [['list', '--state', 'in progress!'], /--state must be a TDG job state/],
    [['list', '--wait'], /"list" does not take --wait/],
    [['notify', 'wf-1', 'extra'], /unexpected argument "extra"/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });

  it('accepts a complete start command', () => {
    expect(
      parseCommand(['start', '--name', 'Job', '--notify', 'get', '--deadline', '2d', '--wait', '--json']),
    ).toEqual({
      kind: 'start',
      name: 'Job',
      notificationMethod: 'GET',
      deadlineMs: 2 * 86_400_000,
      timeoutMs: 60_000,
      wait: true,
      json: true,
    });
    expect(parseCommand(['start', '--name', 'Job', '--notify', 'none'])).toMatchObject({
      notificationMethod: null,
    });
  });

  it('accepts status with a query timeout and list with a state filter', () => {
    expect(parseCommand(['status', 'wf-1'])).toEqual({
      kind: 'status',
      workflowId: 'wf-1',
      timeoutMs: 5_000,
      json: false,
    });
    expect(parseCommand(['status', 'wf-1', '--timeout', '1.5s', '--json'])).toMatchObject({
      timeoutMs: 1_500,
    });
    expect(parseCommand(['list', '--state', 'in_progress', '--limit', '5'])).toEqual({
      kind: 'list',
      state: 'IN_PROGRESS',
      limit: 5,
      json: false,
    });
  });

  // Defect: `start --deadline 367d` was accepted and left a FAILED workflow behind.
  it('the CLI refuses what the workflow would refuse, with the reason (exit 2)', () => {
    expect(() => parseCommand(['start', '--name', 'x', '--deadline', '367d'])).toThrow(
      /--deadline must be between 1s and 366d/,
    );
    expect(() => parseCommand(['start', '--name', TEN_THOUSAND])).toThrow(/--name must be at most 200/);
  });

  it('follow takes a workflow id (and --json); list takes a name prefix, a task queue and a version', () => {
    expect(parseCommand(['follow', 'wf-1'])).toEqual({ kind: 'follow', workflowId: 'wf-1', json: false });
    expect(() => parseCommand(['follow'])).toThrow(UsageError);
    expect(() => parseCommand(['follow', 'wf-1', '--timeout', '5s'])).toThrow(
      /"follow" does not take --timeout/,
    );
    expect(
      parseCommand([
        'list',
        '--name-prefix',
        'Nightly ',
        '--task-queue',
        'tdg-email-append',
        '--version',
        'tdg.wf-1a2b',
      ]),
    ).toEqual({
      kind: 'list',
      limit: 20,
      namePrefix: 'Nightly ',
      taskQueue: 'tdg-email-append',
      version: 'tdg:wf-1a2b',
      json: false,
    });
    // As the VERSION column shows it; a Worker Controller deployment name has a "/".
    expect(parseCommand(['list', '--version', 'tdg/worker:img-1.2 (Pinned)'])).toMatchObject({
      version: 'tdg/worker:img-1.2',
    });
    expect(() => parseCommand(['list', '--version', 'wf-1a2b'])).toThrow(/deployment:buildId/);
    expect(() => parseCommand(['list', '--task-queue', "q' OR 1=1"])).toThrow(/without quotes/);
    expect(() => parseCommand(['list', '--name-prefix', ' '])).toThrow(/--name-prefix must not be empty/);
  });

  // Defect: `list --state bogus` exited 0 with an empty list.
  it('list --state bogus is a usage error; known states pass', () => {
    expect(() => parseCommand(['list', '--state', 'bogus'])).toThrow(/--state must be a TDG job state/);
    expect(parseCommand(['list', '--state', 'cancelled'])).toMatchObject({ state: 'CANCELLED' });
  });
});

describe('starter help and command names', () => {
  it.each(['start', 'status', 'result', 'follow', 'check', 'cancel', 'list'])(
    '%s --help prints that command only',
    (command) => {
      expect(parseCommand([command, '--help'])).toEqual({ kind: 'help', command });
      expect(parseCommand(['help', command])).toEqual({ kind: 'help', command });
      expect(usageOf(command as 'start')).toMatch(new RegExp(`^usage: npm run job -- ${command} `));
      // Its synopsis, what it does and the exit codes: no other command's lines.
      expect(usageOf(command as 'start').split('\n')).toHaveLength(2 + EXIT_CODE_LINES.split('\n').length);
    },
  );

  // Once a defect: the packaged bins printed `usage: npm run job …`.
  it('usage names the command as it was run: the packaged bins, or npm run in this repository', () => {
    expect(invokedAs('job', '/app/node_modules/.bin/tdg-job')).toBe('tdg-job');
    expect(invokedAs('job', '/app/node_modules/tdg-email-append/dist/src/bin/job.js')).toBe('tdg-job');
    expect(invokedAs('job', 'C:\\app\\node_modules\\.bin\\tdg-job.cmd')).toBe('tdg-job');
    expect(invokedAs('setup', '/usr/local/bin/tdg-setup')).toBe('tdg-setup');
    expect(invokedAs('job', '/work/repo/src/bin/job.ts')).toBe('npm run job --');
    expect(invokedAs('setup', '/work/repo/src/bin/setup.ts')).toBe('npm run setup');
    // Run in-process by another tool in node_modules (a test runner): not the bin.
    expect(invokedAs('job', '/work/repo/node_modules/vitest/vitest.mjs')).toBe('npm run job --');
    expect(usageOf(undefined, 'tdg-job')).toMatch(/^usage: tdg-job <command> \[--help\]\n/);
    expect(usageOf('list', 'tdg-job')).toMatch(/^usage: tdg-job list /);
    expect(usageOf(undefined, 'tdg-job')).not.toMatch(/npm run/);
  });

  it('notify is the old name of check', () => {
    expect(parseCommand(['notify', 'wf-1'])).toEqual({
      kind: 'check',
      workflowId: 'wf-1',
      timeoutMs: 30_000,
      json: false,
    });
    expect(parseCommand(['cancel', 'wf-1', '--json'])).toEqual({
      kind: 'cancel',
      workflowId: 'wf-1',
      json: true,
    });
  });
});
