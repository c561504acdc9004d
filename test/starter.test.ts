import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from '../src/starter.js';
import type { EmailAppendJobResult } from '../src/shared/definitions.js';
import {
  connectTemporal,
  runSimulator,
  simulatorActivities,
  uniqueId,
  type SimulatorHandle,
  type TemporalHandle,
} from './helpers/harness.js';

const run = promisify(execFile);

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], env: Record<string, string>): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'src/starter.ts', ...args], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

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
      wait: true,
      json: true,
    });
    expect(parseCommand(['start', '--name', 'Job', '--notify', 'none'])).toMatchObject({
      notificationMethod: null,
    });
  });
});

describe('starter CLI against the dev server', () => {
  let temporal: TemporalHandle;
  let sim: SimulatorHandle;
  let env: Record<string, string>;

  beforeAll(async () => {
    [temporal, sim] = await Promise.all([connectTemporal(), runSimulator()]);
    env = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: temporal.taskQueue };
  });
  afterAll(async () => {
    await sim?.close();
    await temporal?.close();
  });

  it('exits 2 with one clear line and usage for a bad command, before touching Temporal', async () => {
    const result = await cli(['start', '--notify', 'GET'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: --name is required/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('exits 5 when Temporal is unreachable', async () => {
    const result = await cli(['status', 'some-id'], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(5);
    expect(result.stderr).toMatch(/cannot reach Temporal at 127\.0\.0\.1:1/);
  });

  it('start --wait --json prints one JSON document and exits 0 on COMPLETED, 1 on FAILED', async () => {
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const ok = await cli(
        ['start', '--name', 'CLI ok [sim duration=1s batches=2]', '--notify', 'none', '--wait', '--json'],
        env,
      );
      expect(ok.code).toBe(0);
      const outcome = JSON.parse(ok.stdout) as { kind: string; result: EmailAppendJobResult };
      expect(outcome.kind).toBe('completed');
      expect(outcome.result.batchList).toHaveLength(2);

      const workflowId = uniqueId('cli-failed');
      const failed = await cli(
        [
          'start',
          '--name',
          'CLI failed [sim duration=1s batches=2 outcome=FAILED]',
          '--workflow-id',
          workflowId,
          '--wait',
        ],
        env,
      );
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^JobFailed: TDG job [0-9a-f]+ FAILED/);
      expect(failed.stdout).toMatch(/batches of TDG job/);

      const again = await cli(['start', '--name', 'CLI failed again', '--workflow-id', workflowId], env);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/already exists: not starting it again/);

      const status = await cli(['status', workflowId, '--json'], env);
      expect(status.code).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ workflowId });

      const result = await cli(['result', workflowId], env);
      expect(result.code).toBe(1);
    });
    const missing = await cli(['result', uniqueId('never-started')], env);
    expect(missing.code).toBe(4);
  });
});
