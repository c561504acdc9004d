/**
 * What another team does first: `npm pack` the client package, install the tarball into a fresh
 * ESM project, type-check the README's client example under node16, nodenext and bundler resolution
 * (strictly: no skipLibCheck), compile it and run it with plain `node` against the dev server, the
 * simulator and a worker; and use the package from CommonJS, with `require()` and `import()`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import {
  connectTemporal,
  runSimulator,
  simulatorActivities,
  type SimulatorHandle,
  type TemporalHandle,
} from './helpers/harness.js';

const run = promisify(execFile);
const TSC = join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

let temporal: TemporalHandle;
let sim: SimulatorHandle;
let consumer: string;
let tarball: string;

async function readmeExample(): Promise<string> {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- client example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no client example block');
  return block;
}

/** docs/nexus.md's caller block: tooling/nexus-caller/workflows.ts as another team writes it. */
async function nexusCallerExample(): Promise<string> {
  const doc = await readFile(join(PROJECT_ROOT, 'docs', 'nexus.md'), 'utf8');
  const block = /<!-- nexus caller[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!block) throw new Error('docs/nexus.md has no caller block');
  return block;
}

let compiled: Promise<unknown> | undefined;
/** The README example compiled once with plain tsc into out/example.js. */
function compileExample(): Promise<unknown> {
  compiled ??= run(
    process.execPath,
    [TSC, '--strict', '--target', 'es2022', '--module', 'nodenext', '--types', 'node'].concat([
      '--typeRoots',
      join(PROJECT_ROOT, 'node_modules', '@types'),
      '--outDir',
      'out',
      'example.ts',
    ]),
    { cwd: consumer, timeout: 120_000 },
  );
  return compiled;
}

/** The compiled example with plain `node`, against the suite's dev server and this task queue. */
function runExample(taskQueue: string): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['out/example.js'], {
    cwd: consumer,
    env: {
      PATH: process.env['PATH'] ?? '',
      HOME: consumer,
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
    },
    timeout: 90_000,
  });
}

beforeAll(async () => {
  consumer = await mkdtemp(join(tmpdir(), 'tdg-consumer-'));
  // `npm pack` runs the package's prepack: a fresh compile of the client into its dist/.
  const packed = await run('npm', ['pack', '--pack-destination', consumer], {
    cwd: join(PROJECT_ROOT, 'packages', 'client'),
    timeout: 240_000,
  });
  tarball = join(consumer, packed.stdout.trim().split('\n').pop()!);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }),
  );
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
    cwd: consumer,
    timeout: 240_000,
  });
  await writeFile(join(consumer, 'example.ts'), await readmeExample());
  await writeFile(join(consumer, 'nexus-caller.ts'), await nexusCallerExample());
  temporal = await connectTemporal();
  sim = await runSimulator({ defaults: { durationMs: 1_500, batches: 3, outcome: 'COMPLETED' } });
}, 600_000);

afterAll(async () => {
  await sim?.close();
  await temporal?.close();
  if (consumer) await rm(consumer, { recursive: true, force: true });
});

describe('the packed client package', () => {
  it('holds the compiled client and its declarations, no sources, tests, benchmarks or screenshots', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/dist/src/client/index.js');
    expect(files).toContain('package/dist/src/client/index.d.ts');
    expect(files).toContain('package/dist/src/bin/job.js');
    expect(
      files.filter((f) => !/^package\/(package\.json|README\.md|dist\/src\/.*\.(js|d\.ts))$/.test(f)),
    ).toEqual([]);
    expect(files.some((f) => /test|bench|\.png$|\/(worker|simulator|listener|tdg)\//.test(f))).toBe(false);
  });

  it('is named apart from the application, which is never published', async () => {
    const nameOf = async (dir: string): Promise<unknown> =>
      (JSON.parse(await readFile(join(PROJECT_ROOT, dir, 'package.json'), 'utf8')) as { name: unknown }).name;
    expect(await nameOf('packages/client')).toBe('tdg-email-append');
    expect(await nameOf('.')).toBe('tdg-email-append-app');
  });

  it('installs what a client needs: no worker, bundler, native core or HTTP server', async () => {
    const installed = await readdir(join(consumer, 'node_modules', '@temporalio'));
    expect(installed.sort()).toEqual(['client', 'common', 'envconfig', 'proto', 'workflow']);
    const top = await readdir(join(consumer, 'node_modules'));
    for (const heavy of ['fastify', 'webpack', '@swc', 'pino', 'node-fetch'])
      expect(top).not.toContain(heavy);
    const lock = JSON.parse(await readFile(join(consumer, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } }>;
    };
    // Under 60 packages (the whole application's dependencies were 212).
    expect(Object.keys(lock.packages).filter(Boolean).length).toBeLessThan(60);
  });

  // The SDK's own .d.ts files import types from `ms` and `source-map`, which the package brings
  // (@types/ms, source-map) so that a consumer needs no skipLibCheck. Checking the libraries takes
  // ~6 s a run, so only once per way of resolving packages: nodenext resolves them as node16 does.
  it.each([
    ['node16', 'node16', []],
    ['nodenext', 'nodenext', ['--skipLibCheck']],
    ['preserve', 'bundler', []],
  ])(
    'the README example and the Nexus caller type-check with --module %s --moduleResolution %s %s',
    async (module, resolution, extra) => {
      const args = [TSC, '--noEmit', '--strict', ...extra, '--target', 'es2022', '--module', module];
      args.push('--moduleResolution', resolution, '--types', 'node');
      args.push('--typeRoots', join(PROJECT_ROOT, 'node_modules', '@types'), 'example.ts', 'nexus-caller.ts');
      const result = await run(process.execPath, args, { cwd: consumer, timeout: 120_000 }).catch(
        (err: { stdout: string }) => ({ stdout: err.stdout, failed: true }),
      );
      expect(result.stdout).toBe('');
    },
    180_000,
  );

  it("docs/nexus.md's caller is the one the Nexus tests and the example run", async () => {
    const source = await readFile(join(PROJECT_ROOT, 'tooling', 'nexus-caller', 'workflows.ts'), 'utf8');
    const asPublished = source.replace("'../../src/contract/nexus-service.js'", "'tdg-email-append/nexus'");
    expect(asPublished).not.toBe(source);
    expect(await nexusCallerExample()).toBe(asPublished);
  });

  it('runs the README example with plain node: the job id, then the batch count', async () => {
    await compileExample();
    await temporal.withWorker(simulatorActivities(sim), async () => {
      const { stdout, stderr } = await runExample(temporal.taskQueue);
      expect(stderr).toBe('');
      expect(stdout).toMatch(/^TDG job [0-9a-f]{15}: attach its batches now\nCOMPLETED with 3 batches\n$/);
    });
  }, 300_000);

  // Once a defect: with no worker the example printed `TDG job null: attach its batches
  // now`, then waited for a result forever.
  it('the README example, with no worker: says there is no TDG job id yet and ends', async () => {
    await compileExample();
    const queue = `nobody-polls-${Date.now()}`;
    const { stdout, stderr } = await runExample(queue);
    expect(stdout).toBe('');
    const workflowId = /^workflow (\S+): no TDG job id yet \(no worker is polling task queue /.exec(
      stderr,
    )?.[1];
    expect(stderr).toMatch(new RegExp(`${queue}.*attach batches later\n$`));
    expect(workflowId).toBeDefined();
    await temporal.client.workflow.getHandle(workflowId!).terminate('test cleanup');
  }, 300_000);

  it('works from CommonJS: require() (Node ≥ 20.19) and import() (any Node ≥ 20.3)', async () => {
    const probe = (load: string): string => `${load}
  .then(async ({ connectTdgJobs, TdgJobError }) => {
    const jobs = await connectTdgJobs();
    try {
      await jobs.getStatus('no-such-job');
    } catch (err) {
      console.log(err instanceof TdgJobError ? err.type : String(err));
    } finally {
      await jobs.close();
    }
  });
`;
    await writeFile(
      join(consumer, 'require.cjs'),
      probe("Promise.resolve(require('tdg-email-append/client'))"),
    );
    await writeFile(join(consumer, 'import.cjs'), probe("import('tdg-email-append/client')"));
    for (const file of ['require.cjs', 'import.cjs']) {
      const { stdout, stderr } = await run(process.execPath, [file], {
        cwd: consumer,
        env: { PATH: process.env['PATH'] ?? '', HOME: consumer, TEMPORAL_ADDRESS: temporal.address },
        timeout: 60_000,
      });
      expect({ file, stdout, stderr }).toEqual({ file, stdout: 'WorkflowNotFound\n', stderr: '' });
    }
  }, 120_000);

  it("the package's tdg-job bin runs with plain node and --json failures parse", async () => {
    const result = await run(
      join(consumer, 'node_modules', '.bin', 'tdg-job'),
      ['status', 'bad id!', '--json'],
      {
        cwd: consumer,
      },
    ).catch((err: { code: number; stdout: string }) => err);
    expect((result as { code?: number }).code).toBe(2);
    expect(JSON.parse(result.stdout)).toMatchObject({ error: { type: 'UsageError' } });
    // Once a defect: the bins named `npm run job` / `npm run setup` in their usage.
    const help = await run(join(consumer, 'node_modules', '.bin', 'tdg-job'), ['list', '--help'], {
      cwd: consumer,
    });
    expect(help.stdout).toMatch(/^usage: tdg-job list /);
    const setupHelp = await run(join(consumer, 'node_modules', '.bin', 'tdg-setup'), ['--help'], {
      cwd: consumer,
    });
    expect(setupHelp.stdout).toMatch(/^usage: tdg-setup \[--help\]/);
  });
});
