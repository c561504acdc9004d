/** Search-attribute registration against the suite's real dev server, in `default` and in a fresh namespace. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import { ensureSearchAttributes } from '../src/cli/search-attributes.js';
import { describeError, searchAttributeHint } from '../src/cli/output.js';
import { TdgJobError, TdgJobs } from '../src/client/index.js';
import { runCommand, useTestStack, waitFor, type CommandResult } from './helpers/harness.js';

function setupCli(env: Record<string, string>): Promise<CommandResult> {
  return runCommand('npx', ['tsx', 'src/bin/setup.ts'], env);
}

const { temporal } = useTestStack({ simulator: false });

describe('search attributes on a real Temporal server', () => {
  it('finds all registered in the dev server’s default namespace, every time', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(ensureSearchAttributes(temporal.connection, 'default')).resolves.toEqual({
        namespace: 'default',
        added: [],
        existing: ['TdgJobId', 'TdgJobState', 'TdgPossibleDuplicate'],
      });
    }
    const cli = await setupCli({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: 'default' });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toBe(
      'namespace "default": TdgJobId (Keyword) already registered; TdgJobState (Keyword) already registered; ' +
        'TdgPossibleDuplicate (Bool) already registered\n',
    );
  });

  it('registers them in a namespace that lacks them, once; starting a job there works only after', async () => {
    const namespace = `tdg-setup-${randomUUID().slice(0, 8)}`;
    await temporal.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    // A new namespace reaches every part of the server after a short cache refresh.
    const client = new Client({ connection: temporal.connection, namespace });
    // No worker polls this queue: start returns without the TDG job id once `jobIdTimeoutMs` is over.
    const jobs = new TdgJobs(client, { taskQueue: `no-worker-${randomUUID()}` });
    const options = { name: 'Setup check', notificationMethod: null, jobIdTimeoutMs: 2_000 };
    const refusal = await waitFor(
      async () => {
        try {
          await jobs.startJob(options);
          return new Error('started without the search attributes');
        } catch (err) {
          return /namespace .*not found/i.test(describeError(err)) ? undefined : (err as Error);
        }
      },
      60_000,
      500,
    );
    expect(refusal).toBeInstanceOf(TdgJobError);
    expect(refusal).toMatchObject({ type: 'SetupRequired' });
    expect(describeError(refusal)).toMatch(/TdgJobState/);
    expect(searchAttributeHint(refusal)).toMatch(/npm run setup/);

    await expect(ensureSearchAttributes(temporal.connection, namespace)).resolves.toEqual({
      namespace,
      added: ['TdgJobId', 'TdgJobState', 'TdgPossibleDuplicate'],
      existing: [],
    });
    await expect(ensureSearchAttributes(temporal.connection, namespace)).resolves.toMatchObject({
      added: [],
      existing: ['TdgJobId', 'TdgJobState', 'TdgPossibleDuplicate'],
    });
    const cli = await setupCli({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: namespace });
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/TdgJobState \(Keyword\) already registered/);

    const started = await waitFor(
      () => jobs.startJob({ ...options, workflowId: `setup-${randomUUID().slice(0, 8)}` }),
      30_000,
      500,
    );
    try {
      // Visibility answers with no worker at all: the state set at start is searchable.
      const listed = await waitFor(async () => {
        const pending = await jobs.listJobs({ state: 'CREATING', limit: 50 });
        const mine = pending.filter((job) => job.workflowId === started.workflowId);
        return mine.length === 1 ? mine : undefined;
      });
      expect(listed[0]).toMatchObject({
        workflowId: started.workflowId,
        state: 'CREATING',
        name: 'Setup check',
      });
    } finally {
      expect(started.jobId).toBeNull();
      await client.workflow.getHandle(started.workflowId).terminate('test done');
    }
  });

  it('setup exits 5 with one line when Temporal is unreachable', async () => {
    const cli = await setupCli({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(cli.code).toBe(5);
    expect(cli.stderr).toMatch(/^cannot reach Temporal at 127\.0\.0\.1:1/);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  });
});
