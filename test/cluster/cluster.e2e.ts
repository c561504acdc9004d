/**
 * The production engine under faults: `npm run cluster -- --servers 2 --workers 2` (PostgreSQL,
 * two temporal-server processes in one ring, two workers, listener, simulator; real processes
 * only) while jobs started through the starter (src/bin/job.ts) run:
 *
 *   (a) one Temporal server process is SIGKILLed (the cluster's supervisor restarts it), while a
 *       second wave of jobs is being started — the marked createJob crash window;
 *   (b) PostgreSQL is restarted (fast shutdown, then started again);
 *   (c) a rolling restart of the workers: each is SIGTERMed, then each is SIGKILLed.
 *
 * Then every job must complete, none be lost, and each workflow have created exactly one TDG job,
 * except a workflow whose first createJob fell in the crash window (allowed two; reported).
 * Also: no secret of the stack appears in any process's log. And the upgrade from the previous
 * release (releases.json) to the current workflow code as a new Worker Deployment version while
 * jobs run, with its negative control (test/cluster/upgrade.ts). And that the servers hand out a
 * person's activities (priority 1) before the fleet's checks (priority 4) scheduled earlier.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WORKFLOW_TYPE, type EmailAppendJobResult } from '../../src/contract/definitions.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { clientDataConverter, payloadCodecFor } from '../../src/platform/data-converter.js';
import { payloadCodecSection } from '../../src/platform/env/codec.js';
import {
  clusterClientEnv,
  clusterConnectionOptions,
  clusterPayloadKeysFile,
  readState,
  type ClusterState,
} from '../../tooling/cluster/stack.js';
import type { ProcessView } from '../../tooling/cluster/supervisor.js';
import { findBinary, TEMPORAL_CLI } from '../../tooling/stack/temporal-binaries.js';
import { refusalCases, tryRefusal } from './refusals.js';
import { INTERACTIVE, priorityDispatchOrder } from '../helpers/priority-order.js';
import { dumpDatabases, holds } from './stored-data.js';
import { runJobThroughNexus } from './nexus-caller.js';
import {
  unversionedReplacement,
  upgradeBundles,
  upgradeProblems,
  versionedUpgrade,
  type UpgradeStack,
} from './upgrade.js';

interface JobView {
  jobId: string;
  name: string;
  createdAt: string;
  notification: { url: string } | null;
}

const PORT_OFFSET = 10_000;
const WAVE1 = 12;
const WAVE2 = 6;
/** Long enough that every job is running through all three faults. */
const JOB_NAME_TAG = '[sim duration=240s batches=4]';
/** Each killed process stays down this long (the supervisor's restart delay): long enough for the ring to notice. */
const RESTART_DELAY = '15s';
const KEEP = process.env.CLUSTER_TEST_KEEP === '1';

const dataDir = mkdtempSync(join(tmpdir(), 'tdg-cluster-test-'));
// PostgreSQL runs as the postgres user when the test runs as root: it must reach its folder.
chmodSync(dataDir, 0o755);
const runnerLog = join(dataDir, 'runner.log');
const runId = Date.now().toString(36);
let runner: ChildProcess | undefined;
let connection: Connection | undefined;

const line = (text: string): void => void process.stdout.write(`[cluster test] ${text}\n`);

function state(): ClusterState {
  const current = readState(join(dataDir, 'stack'));
  if (!current) throw new Error('no cluster state yet');
  return current;
}

/** A client as the cluster's own processes have it: the stack's payload codec keys. */
function clusterClient(): Client {
  const keys = payloadCodecSection.parse({
    PAYLOAD_CODEC_KEYS_FILE: clusterPayloadKeysFile(join(dataDir, 'stack')),
  });
  return new Client({
    connection: connection!,
    namespace: state().namespace,
    dataConverter: clientDataConverter(payloadCodecFor(keys)),
  });
}

function view(name: string): ProcessView {
  const found = state().processes.find((p) => p.name === name);
  if (!found) throw new Error(`no process ${name}`);
  return found;
}

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (runner?.exitCode !== null && runner?.exitCode !== undefined) {
      const tail = readFileSync(runnerLog, 'utf8').trim().split('\n').slice(-10).join('\n');
      throw new Error(`the cluster runner exited (${runner.exitCode}) while waiting for ${what}:\n${tail}`);
    }
    try {
      const value = probe();
      if (value !== undefined && value !== false) return value;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(250);
  }
}

/** SIGKILL/SIGTERM/SIGINT a supervised process and wait until the supervisor has it serving again. */
async function hit(name: string, signal: NodeJS.Signals): Promise<{ downMs: number }> {
  const before = view(name);
  if (before.pid === null || before.state !== 'ready') throw new Error(`${name} is not ready`);
  const at = Date.now();
  process.kill(before.pid, signal);
  await waitFor(`${name} back after ${signal}`, 180_000, () => {
    const now = view(name);
    return now.restarts > before.restarts && now.state === 'ready' && now.pid !== before.pid;
  });
  const downMs = Date.now() - at;
  line(`${name} ${signal} → serving again after ${(downMs / 1000).toFixed(1)}s`);
  return { downMs };
}

interface Started {
  workflowId: string;
  attempts: number;
}

/** `npm run job -- start --json`, retried with the same workflow id while Temporal does not answer. */
async function startThroughStarter(
  workflowId: string,
  name: string,
  extraEnv: Record<string, string> = {},
): Promise<Started> {
  for (let attempt = 1; ; attempt++) {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/bin/job.ts', 'start', '--name', name, '--workflow-id', workflowId, '--json'],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...clusterClientEnv(state()), NODE_ENV: 'development', ...extraEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code === 0) {
      const answer = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as { workflowId?: string };
      expect(answer.workflowId).toBe(workflowId);
      return { workflowId, attempts: attempt };
    }
    if (attempt >= 10) throw new Error(`starter failed for ${workflowId} (exit ${code}): ${err.trim()}`);
    line(`starter exit ${code} for ${workflowId} (attempt ${attempt}); retrying with the same workflow id`);
    await sleep(3_000);
  }
}

async function startWave(prefix: string, count: number): Promise<Started[]> {
  const ids = Array.from({ length: count }, (_, i) => `cluster-${runId}-${prefix}-${i + 1}`);
  const out: Started[] = [];
  // Three starters at a time (each is a Node process on a 2-core machine).
  for (let i = 0; i < ids.length; i += 3) {
    const batch = ids.slice(i, i + 3);
    out.push(...(await Promise.all(batch.map((id) => startThroughStarter(id, `${id} ${JOB_NAME_TAG}`)))));
  }
  return out;
}

async function simJobs(): Promise<JobView[]> {
  const response = await fetch(`${state().simulatorUrl ?? ''}/_sim/jobs`);
  return ((await response.json()) as { jobs: JobView[] }).jobs;
}

async function waitForAsync<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(1_000);
  }
}

/** One instant-vector query's first value (NaN when empty). */
async function promQuery(query: string): Promise<number> {
  const url = `${state().prometheusUrl ?? ''}/api/v1/query?query=${encodeURIComponent(query)}`;
  const answer = (await (await fetch(url)).json()) as { data: { result: { value: [number, string] }[] } };
  return Number(answer.data.result[0]?.value[1] ?? NaN);
}

/** temporal-1's view of the history service's ring members over time (its log's membership lines). */
function historyRing(): { at: number; members: number }[] {
  const log = readFileSync(join(dataDir, 'stack', 'logs', 'temporal-1.log'), 'utf8');
  const out: { at: number; members: number }[] = [];
  for (const text of log.split('\n')) {
    if (!text.includes('Current reachable members')) continue;
    try {
      const entry = JSON.parse(text) as { ts?: string; service?: string; addresses?: string[] };
      if (entry.service === 'history' && entry.ts && entry.addresses) {
        out.push({ at: Date.parse(entry.ts), members: entry.addresses.length });
      }
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/** The workflow that created a TDG job: its notification URL ends in /notifications/<workflowId>. */
const workflowOf = (job: JobView): string | null =>
  /\/notifications\/([^/?]+)/.exec(job.notification?.url ?? '')?.[1] ?? null;

beforeAll(async () => {
  const log = openSync(runnerLog, 'a');
  runner = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'tooling/bin/cluster.ts',
      '--servers',
      '2',
      '--workers',
      '2',
      '--data-dir',
      join(dataDir, 'stack'),
      '--port-offset',
      String(PORT_OFFSET),
      '--restart-delay',
      RESTART_DELAY,
    ],
    // TDG_BASE_URL unset: the cluster runs the simulator.
    { cwd: PROJECT_ROOT, env: { ...process.env, TDG_BASE_URL: '' }, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const started = Date.now();
  await waitFor('the cluster to be ready', 1_100_000, () => {
    const current = readState(join(dataDir, 'stack'));
    return current?.ready && current.runnerPid === runner?.pid;
  });
  line(`cluster ready in ${((Date.now() - started) / 1000).toFixed(1)}s (log ${runnerLog})`);
  connection = await Connection.connect(clusterConnectionOptions(state()));
});

afterAll(async () => {
  await connection?.close();
  if (runner && runner.exitCode === null) {
    runner.kill('SIGTERM');
    await new Promise((resolve) => runner?.once('exit', resolve));
  }
  if (!KEEP) rmSync(dataDir, { recursive: true, force: true });
  else line(`kept ${dataDir}`);
});

describe('npm run cluster: PostgreSQL, two Temporal servers, two workers', () => {
  it('completes every job through a server kill, a PostgreSQL restart and a rolling worker restart', async () => {
    const t0 = Date.now();
    expect(state().processes.map((p) => p.name)).toEqual([
      'postgresql',
      'temporal-1',
      'temporal-2',
      'temporal-ui',
      'simulator',
      'listener',
      'codec-server',
      'worker-1',
      'worker-2',
      'prometheus',
    ]);
    const windows: { what: string; from: number; to: number }[] = [];

    // Wave 1, then wait until every one has its TDG job: no createJob is in flight after this.
    const wave1 = await startWave('a', WAVE1);
    for (let i = 0; ; i++) {
      const byWorkflow = new Set((await simJobs()).map(workflowOf));
      if (wave1.every((s) => byWorkflow.has(s.workflowId))) break;
      if (i > 240) throw new Error('wave 1 did not create its TDG jobs in 2 minutes');
      await sleep(500);
    }
    line(`wave 1: ${WAVE1} jobs started and created at TDG after ${((Date.now() - t0) / 1000).toFixed(1)}s`);

    // (a) SIGKILL one server process while wave 2 is being started: the marked crash window.
    const killAt = Date.now();
    const [wave2] = await Promise.all([startWave('b', WAVE2), hit('temporal-2', 'SIGKILL')]);
    windows.push({ what: 'temporal-2 SIGKILL', from: killAt, to: Date.now() + 5_000 });
    // A real ring: temporal-1 saw temporal-2's history service leave, then come back.
    const ring = await waitFor('temporal-1 to see temporal-2 leave and rejoin the ring', 60_000, () => {
      const seen = historyRing().filter((entry) => entry.at >= killAt);
      const left = seen.findIndex((entry) => entry.members === 1);
      return left >= 0 && seen.slice(left).some((entry) => entry.members === 2) && seen;
    });
    line(`history ring seen by temporal-1: ${ring.map((entry) => entry.members).join(' → ')} members`);

    // (b) PostgreSQL: fast shutdown (what `pg_ctl stop` sends), started again by the supervisor.
    await hit('postgresql', 'SIGINT');

    // (c) Rolling restart: each worker SIGTERMed (drains), then each SIGKILLed.
    for (const name of ['worker-1', 'worker-2']) await hit(name, 'SIGTERM');
    for (const name of ['worker-1', 'worker-2']) await hit(name, 'SIGKILL');
    const faultsDoneS = (Date.now() - t0) / 1000;
    line(`faults done at ${faultsDoneS.toFixed(1)}s`);

    // Every job completes.
    const client = clusterClient();
    const all = [...wave1, ...wave2];
    const results = await Promise.all(
      all.map(async (s) => ({
        workflowId: s.workflowId,
        result: (await client.workflow.getHandle(s.workflowId).result()) as EmailAppendJobResult,
      })),
    );
    const completedS = (Date.now() - t0) / 1000;

    // TDG jobs per workflow.
    const jobs = await simJobs();
    const perWorkflow = new Map<string, JobView[]>();
    for (const job of jobs) {
      const id = workflowOf(job);
      if (id && id.startsWith(`cluster-${runId}-`))
        perWorkflow.set(id, [...(perWorkflow.get(id) ?? []), job]);
    }
    const inWindow = (at: string): boolean =>
      windows.some((w) => Date.parse(at) >= w.from && Date.parse(at) <= w.to);
    const duplicates = [...perWorkflow].filter(([, list]) => list.length > 1);
    const unexplained = duplicates.filter(
      ([, list]) =>
        !list
          .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
          .slice(0, -1)
          .every((job) => inWindow(job.createdAt)),
    );
    const views = state().processes;
    const figures = {
      jobsStarted: all.length,
      jobsCompleted: results.filter((r) => r.result.state === 'COMPLETED').length,
      jobsLost: all.length - results.length,
      starterRetries: all.reduce((n, s) => n + s.attempts - 1, 0),
      tdgJobsPerWorkflow: Object.fromEntries(
        [...new Set([...perWorkflow.values()].map((l) => l.length))].map((n) => [
          n,
          [...perWorkflow.values()].filter((l) => l.length === n).length,
        ]),
      ),
      duplicatesInCrashWindow: duplicates.length - unexplained.length,
      duplicatesUnexplained: unexplained.map(([id]) => id),
      restarts: Object.fromEntries(views.map((p) => [p.name, p.restarts])),
      faultsDoneS,
      completedS,
    };
    line(JSON.stringify(figures));
    writeFileSync(join(dataDir, 'figures.json'), JSON.stringify(figures, null, 2));

    expect(results.map((r) => r.result.state)).toEqual(all.map(() => 'COMPLETED'));
    for (const { result } of results) expect(result.batchList).toHaveLength(4);
    expect(perWorkflow.size).toBe(all.length);
    expect(unexplained).toEqual([]);
    for (const s of wave1) expect(perWorkflow.get(s.workflowId), s.workflowId).toHaveLength(1);
    // Operators see it: Prometheus scraped our metrics from the workers, with the alert rules loaded.
    const finishedSeen = await waitForAsync('Prometheus to count the completed jobs', 60_000, async () => {
      const value = await promQuery('sum(tdg_jobs_finished{state="COMPLETED"})');
      return value === all.length ? value : undefined;
    });
    expect(finishedSeen).toBe(all.length);
    expect(await promQuery('count(tdg_request_latency_count{endpoint="GET /job"})')).toBeGreaterThan(0);
    const rules = (await (await fetch(`${state().prometheusUrl ?? ''}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string }[] }[] };
    };
    expect(rules.data.groups.flatMap((g) => g.rules.map((r) => r.name)).sort()).toEqual([
      'TdgDetectionDelayHigh',
      'TdgErrorRateHigh',
      'TdgJobsPastDeadline',
      'TdgWorkerNotPolling',
    ]);

    // The faults happened (a process may also have restarted on its own during the PostgreSQL outage).
    for (const [name, least] of Object.entries({
      'temporal-2': 1,
      postgresql: 1,
      'worker-1': 2,
      'worker-2': 2,
    })) {
      expect(figures.restarts[name], name).toBeGreaterThanOrEqual(least);
    }
  });

  it('upgrades from the previous release as a new version while jobs run: none fails, v1 drains (and replacing workers with an incompatible change instead breaks them)', async () => {
    const cli = findBinary(TEMPORAL_CLI);
    if (!cli) throw new Error('temporal CLI not found (npm run tools)');
    const current = state();
    const secrets = JSON.parse(readFileSync(join(dataDir, 'stack', 'secrets.json'), 'utf8')) as Record<
      string,
      string
    >;
    const stack: UpgradeStack = {
      connect: clusterConnectionOptions(current),
      namespace: current.namespace,
      cli,
      cliEnv: clusterClientEnv(current),
      client: clusterClient(),
      // The cluster's workers' TDG and notification settings; no ports of their own in this process.
      workerEnv: {
        TDG_BASE_URL: current.simulatorUrl ?? '',
        TDG_API_KEY: secrets.tdgApiKey,
        TDG_USERNAME: secrets.tdgUsername,
        TDG_PASSWORD: secrets.tdgPassword,
        NOTIFY_SECRET: secrets.notifySecret,
        NOTIFY_PUBLIC_URL: `${current.listenerUrl}/notifications`,
        WORKER_METRICS_PORT: 'off',
        WORKER_HEALTH_PORT: 'off',
        PAYLOAD_CODEC_KEYS_FILE: clusterPayloadKeysFile(current.dataDir),
      },
      jobTag: '[sim duration=150s batches=2]',
      notificationMethod: 'POST',
      say: line,
    };
    const { release, upgrade: upgradeBundle, negativeControl } = await upgradeBundles();
    line(
      `upgrade: v1 is release ${release.version} (${release.commit.slice(0, 12)}, ${upgradeBundle.v1BuildId}), ` +
        `v2 the current code (${upgradeBundle.v2BuildId})`,
    );
    expect(upgradeBundle.v2BuildId).not.toBe(upgradeBundle.v1BuildId);
    const [upgrade, replaced] = await Promise.all([
      versionedUpgrade(stack, upgradeBundle, {
        runId,
        v1Jobs: 6,
        v2Jobs: 3,
        completeWithinMs: 480_000,
        drainWithinMs: 300_000,
      }),
      unversionedReplacement(stack, negativeControl, { runId, jobs: 3, observeMs: 240_000 }),
    ]);
    const figures = {
      release,
      upgrade: { ...upgrade, problems: upgradeProblems(upgrade) },
      negativeControl: { ...replaced, problems: upgradeProblems(replaced) },
    };
    line(`upgrade: ${JSON.stringify(figures.upgrade)}`);
    line(`negative control (unversioned replacement): ${JSON.stringify(figures.negativeControl)}`);
    writeFileSync(join(dataDir, 'upgrade-figures.json'), JSON.stringify(figures, null, 2));

    expect(figures.upgrade.problems).toEqual([]);
    expect(upgrade.ndeFailures).toBe(0);
    expect(upgrade.jobsPerVersion[upgradeBundle.v2BuildId]).toBeGreaterThanOrEqual(3);
    // The same checks catch the rollout without versioning: running jobs stuck on non-determinism.
    expect(replaced.ndeFailures).toBeGreaterThan(0);
    expect(replaced.completed).toBe(0);
    expect(figures.negativeControl.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/non-determinism/),
        expect.stringMatching(/^3 of 3 jobs did not complete/),
      ]),
    );
  });

  it('stores no job name or batch id in PostgreSQL: the rows hold ciphertext (a job started without the codec shows the search would find them)', async () => {
    const secretName = `Acme Confidential ${runId}`;
    const plainName = `Plain Reference ${runId}`;
    const encryptedId = `cluster-${runId}-encrypted`;
    const plainId = `cluster-${runId}-plaintext`;
    await startThroughStarter(encryptedId, `${secretName} [sim duration=5s batches=3]`);
    // The negative control: a client without the keys writes its input in plaintext (the workers
    // still encrypt what they write). It cannot read their answers, so it only starts the job.
    await new Client({ connection: connection!, namespace: state().namespace }).workflow.start(
      WORKFLOW_TYPE,
      {
        taskQueue: state().taskQueue,
        workflowId: plainId,
        args: [{ name: `${plainName} [sim duration=5s batches=2]` }],
      },
    );
    const client = clusterClient();
    const [encrypted, plain] = await Promise.all(
      [encryptedId, plainId].map((id) => client.workflow.result(id) as Promise<EmailAppendJobResult>),
    );
    const dump = dumpDatabases(state());
    line(
      `PostgreSQL dump: ${(dump.length / 1e6).toFixed(1)} MB; the encrypted job's name found: ${holds(dump, secretName)}, ` +
        `its ${encrypted!.batchList.length} batch ids found: ${encrypted!.batchList.filter((b) => holds(dump, b)).length}; ` +
        `the plaintext job's name found: ${holds(dump, plainName)}`,
    );
    expect(encrypted!.batchList.length).toBeGreaterThan(0);
    expect(holds(dump, secretName), 'the job name in plaintext').toBe(false);
    for (const batch of [...encrypted!.batchList, ...plain!.batchList])
      expect(holds(dump, batch), `batch ${batch} in plaintext`).toBe(false);
    // The search finds what is there: the codec-less client's input, and the search attribute
    // TdgJobId, which stays plaintext by design (docs/security.md).
    expect(holds(dump, plainName), 'the negative control').toBe(true);
    expect(holds(dump, encrypted!.jobId), 'TdgJobId, a search attribute').toBe(true);
  });

  it("runs a job for a workflow in the callers' namespace through the Nexus endpoint, over mutual TLS with the codec", async () => {
    const businessKey = `cluster-${runId}-nexus`;
    const { outcome, ms } = await runJobThroughNexus(
      state(),
      clusterPayloadKeysFile(join(dataDir, 'stack')),
      {
        businessKey,
        name: `Nexus ${runId} [sim duration=3s batches=3]`,
      },
    );
    line(`Nexus caller in namespace tdg-caller: ${outcome.outcome} in ${ms} ms`);
    expect(outcome).toMatchObject({ outcome: 'COMPLETED' });
    if (outcome.outcome === 'COMPLETED') expect(outcome.batchList).toHaveLength(3);
    // The job ran in our namespace under the caller's business key.
    const ours = await clusterClient().workflow.getHandle(businessKey).describe();
    expect(ours.status.name).toBe('COMPLETED');
  });

  it('refuses a plaintext client, no certificate, another CA, an expired certificate and a wrong server name: the CLI and the worker say which, exit 2', async () => {
    const current = state();
    const scratch = mkdtempSync(join(tmpdir(), 'tdg-refusals-'));
    try {
      for (const refusal of await refusalCases(current, scratch)) {
        const outcome = await tryRefusal(current, refusal);
        line(
          `refusal "${outcome.name}": SDK refused ${outcome.sdkRefused}; CLI exit ${outcome.cli.code} ${outcome.cli.type ?? '?'} in ${outcome.cli.ms} ms (${outcome.cli.message}); worker exit ${outcome.worker.code} in ${outcome.worker.ms} ms`,
        );
        expect(outcome.sdkRefused, outcome.name).toBe(true);
        expect(outcome.cli, outcome.name).toMatchObject({ code: 2, type: 'TlsRefused' });
        expect(outcome.cli.message, outcome.name).toMatch(refusal.expect);
        expect(outcome.worker.code, `${outcome.name}: ${outcome.worker.output}`).toBe(2);
        expect(outcome.worker.output, outcome.name).toMatch(refusal.expect);
        expect(outcome.worker.output, outcome.name).not.toMatch(/retrying/);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("hands out a person's activities before the fleet's checks scheduled earlier (task-queue priority on temporal-server)", async () => {
    // The same probe as the dev server's (test/task-queue-priority.test.ts, whose negative control
    // shows it fails when priority is ignored), here against deploy/temporal/dynamicconfig.yaml.
    const native = await NativeConnection.connect(clusterConnectionOptions(state()));
    try {
      const order = await priorityDispatchOrder({
        client: new Client({ connection: connection!, namespace: state().namespace }),
        connection: native,
        namespace: state().namespace,
      });
      line(`priority probe: ${order.join(', ')}`);
      expect(order.slice(0, INTERACTIVE.length).sort()).toEqual(INTERACTIVE.map((a) => a.label).sort());
    } finally {
      await native.close();
    }
  });

  it('writes no secret of the stack into any log', () => {
    const stack = join(dataDir, 'stack');
    const secrets = Object.values(
      JSON.parse(readFileSync(join(stack, 'secrets.json'), 'utf8')) as Record<string, string>,
    ).filter((value) => value.length >= 16);
    expect(secrets.length).toBeGreaterThanOrEqual(5);
    // Key material too: every private key's body and the payload codec's keys.
    const tlsDir = join(stack, 'tls');
    for (const file of readdirSync(tlsDir).filter((name) => name.endsWith('.key'))) {
      const lines = readFileSync(join(tlsDir, file), 'utf8').split('\n');
      secrets.push(...lines.filter((line) => line.length >= 16 && !line.startsWith('-----')));
    }
    for (const entry of readFileSync(clusterPayloadKeysFile(stack), 'utf8').split('\n')) {
      const key = /^[^#:\s]+:(\S+)$/.exec(entry.trim())?.[1];
      if (key) secrets.push(key);
    }
    expect(secrets.length).toBeGreaterThanOrEqual(5 + 6 * 2 + 1);
    const logs = readdirSync(join(stack, 'logs')).map((file) => join(stack, 'logs', file));
    for (const file of [...logs, runnerLog]) {
      const text = readFileSync(file, 'utf8');
      for (const value of secrets) expect(text.includes(value), `${file} holds a secret`).toBe(false);
    }
  });
});
