/**
 * The wiring every benchmark shares: a real Temporal dev server, the TDG simulator and the webhook
 * listener in this process, a Temporal client, workflow bundles built once, and workers run as
 * separate processes (so their CPU and memory are measured alone, and chaos can SIGKILL them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  createWriteStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { freePort, startDevServer, type DevServer } from '../../src/dev/dev-server.js';
import { createTemporalNotifier, startListener, type RunningListener } from '../../src/listener/index.js';
import type { TemporalNotifier } from '../../src/listener/temporal-notifier.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import type { Faults } from '../../src/simulator/app.js';
import { bundleWorkflows } from '../../src/worker/factory.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { parseDuration } from '../../src/platform/duration.js';

export const BENCH_WORKFLOWS_PATH = join(PROJECT_ROOT, 'bench', 'workflows', 'index.ts');
const WORKER_MAIN = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
export const secret = (): string => randomBytes(32).toString('hex');

export interface StackOptions {
  /** Dev server SQLite file (state survives a restart); omitted: in memory. */
  dbFilename?: string;
  /** Simulator PRNG seed (job ids, fault draws). */
  seed?: number;
  faults?: Partial<Faults>;
  /** Simulator notification retries (default the simulator's [200, 1000, 3000]). */
  notificationRetryDelaysMs?: number[];
  /** Where the dev server's own log goes (a file path); default discarded. */
  devServerLog?: string;
}

export interface BenchStack {
  /** host:port of the dev server's frontend (stays the same across restartDevServer). */
  address: string;
  client: Client;
  connection: Connection;
  sim: RunningSimulator;
  listener: RunningListener;
  apiKey: string;
  username: string;
  password: string;
  notifySecret: string;
  /** Base URL the workers send in notification URLs. */
  notifyPublicUrl: string;
  devServer(): DevServer;
  /** Stops the dev server and starts it again on the same port (and SQLite file, when given). */
  restartDevServer(): Promise<{ downMs: number }>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startStack(options: StackOptions = {}): Promise<BenchStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  const port = await freePort();
  const devLog: WriteStream | undefined = options.devServerLog
    ? createWriteStream(options.devServerLog, { flags: 'a' })
    : undefined;
  const startServer = (): Promise<DevServer> => {
    return startDevServer({
      port,
      uiPort: null,
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      ...(devLog ? { logTo: devLog } : {}),
      startTimeoutMs: 120_000,
    });
  };
  let server = await startServer();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const notifySecret = secret();
  // The listener has its own connection, as its own process would: signals never queue behind the harness's calls.
  const listenerConnection = await Connection.connect({ address: server.address });
  const notifier: TemporalNotifier = createTemporalNotifier(new Client({ connection: listenerConnection }));
  const listener = await startListener({ secrets: [notifySecret], notifier }, { port: 0, host: '127.0.0.1' });
  const apiKey = secret();
  const username = 'bench';
  const password = 'bench-password';
  const sim = await startSimulator(
    {
      apiKey,
      username,
      password,
      seed: options.seed ?? 42,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.notificationRetryDelaysMs
        ? { notificationRetryDelaysMs: options.notificationRetryDelaysMs }
        : {}),
    },
    { port: 0, host: '127.0.0.1' },
  );
  return {
    address: server.address,
    client,
    connection,
    sim,
    listener,
    apiKey,
    username,
    password,
    notifySecret,
    notifyPublicUrl: `${listener.url}/notifications`,
    devServer: () => server,
    async restartDevServer() {
      const down = Date.now();
      await server.stop();
      server = await startServer();
      return { downMs: Date.now() - down };
    },
    async close() {
      await listener.close();
      await notifier.idle();
      await sim.close();
      await listenerConnection.close();
      await connection.close();
      await server.stop();
      devLog?.end();
    },
  };
}

/** The workflow bundles, built once per run and loaded by every worker process from a file. */
export interface Bundles {
  /** workflows/ (emailAppendJob). */
  ours: string;
  /** bench/workflows/ (timerLoopJob, activityRetryJob). */
  bench: string;
  dir: string;
  remove(): void;
}

const quietBundler = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export async function buildBundles(which: { ours?: boolean; bench?: boolean } = {}): Promise<Bundles> {
  const dir = mkdtempSync(join(tmpdir(), 'tdg-bench-bundles-'));
  const ours = join(dir, 'ours.js');
  const bench = join(dir, 'bench.js');
  if (which.ours !== false) writeFileSync(ours, (await bundleWorkflows()).code);
  if (which.bench !== false) {
    const { code } = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS_PATH, logger: quietBundler });
    writeFileSync(bench, code);
  }
  return { ours, bench, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Everything the worker process needs (passed as JSON in its environment; local secrets only). */
export interface WorkerProcessConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  tdg: { baseUrl: string; apiKey: string; username: string; password: string; requestTimeoutMs: number };
  notify: { publicUrl: string; secret: string } | null;
  maxConcurrentActivities: number;
  maxTdgCallsPerSecond: number;
  logLevel?: string;
}

export function workerConfig(
  stack: BenchStack,
  taskQueue: string,
  bundlePath: string,
  opts: {
    notifications: boolean;
    maxTdgCallsPerSecond: number;
    maxConcurrentActivities?: number;
    requestTimeoutMs?: number;
    tdgBaseUrl?: string;
  },
): WorkerProcessConfig {
  return {
    address: stack.address,
    namespace: 'default',
    taskQueue,
    bundlePath,
    tdg: {
      baseUrl: opts.tdgBaseUrl ?? stack.sim.url,
      apiKey: stack.apiKey,
      username: stack.username,
      password: stack.password,
      requestTimeoutMs: opts.requestTimeoutMs ?? 15_000,
    },
    notify: opts.notifications ? { publicUrl: stack.notifyPublicUrl, secret: stack.notifySecret } : null,
    maxConcurrentActivities: opts.maxConcurrentActivities ?? 100,
    maxTdgCallsPerSecond: opts.maxTdgCallsPerSecond,
    logLevel: 'WARN',
  };
}

export interface ProcessUsage {
  /** user + system CPU seconds of the whole process (all threads), from /proc/<pid>/stat. */
  cpuSeconds: number;
  /** Peak resident set size so far (VmHWM), bytes. */
  peakRssBytes: number;
  rssBytes: number;
}

const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux this runs on

/** CPU and memory of a live process; null once it is gone. */
export function processUsage(pid: number): ProcessUsage | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number =>
      Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return {
      cpuSeconds: (utime + stime) / CLOCK_TICKS,
      peakRssBytes: kb('VmHWM') * 1024,
      rssBytes: kb('VmRSS') * 1024,
    };
  } catch {
    return null;
  }
}

/** This process's own usage (simulator, listener and client live here). */
export function selfUsage(): ProcessUsage {
  const cpu = process.cpuUsage();
  const fromProc = processUsage(process.pid);
  return {
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: fromProc?.peakRssBytes ?? process.resourceUsage().maxRSS * 1024,
    rssBytes: process.memoryUsage().rss,
  };
}

export interface WorkerProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves once the worker polls (bundle loaded, connected); rejects if it exits first. */
  ready: Promise<void>;
  /** Resolves with the exit code/signal when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last sampled usage (kept after the process is gone). */
  usage(): ProcessUsage;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts bench/lib/worker-main.ts as a child process. Its stdout/stderr go to `logFile`. Usage is
 * sampled every 500 ms so the figures survive the process (peak RSS is the kernel's high-water mark).
 */
export function spawnWorker(config: WorkerProcessConfig, logFile: string): WorkerProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, BENCH_WORKER_CONFIG: JSON.stringify(config), NODE_ENV: 'development' },
    stdio: ['ignore', log, log, 'ipc'],
  });
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the bench worker process');
  let last: ProcessUsage = { cpuSeconds: 0, peakRssBytes: 0, rssBytes: 0 };
  const sample = (): void => {
    const now = processUsage(pid);
    if (now) last = now;
  };
  const sampler = setInterval(sample, 500);
  sampler.unref();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      clearInterval(sampler);
      resolve({ code, signal });
    });
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { type?: string }) => {
      if (message?.type === 'ready') resolve();
    });
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`bench worker exited before it was ready (code ${code}, signal ${signal}); see ${logFile}`),
      ),
    );
  });
  ready.catch(() => undefined);
  return {
    pid,
    child,
    ready,
    exited,
    usage: () => {
      sample();
      return { ...last };
    },
    kill: (signal) => {
      sample();
      child.kill(signal);
    },
    async stop(graceMs = 10_000) {
      sample();
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

/** A small seeded PRNG (mulberry32) for reproducible job sets and chaos schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export interface HistoryStats {
  /** Events summed over every run of the workflow id (continue-as-new chain). */
  events: number;
  workflowTasks: number;
  runs: number;
  startTime: number;
  closeTime: number | null;
  status: string;
  /** Longest wait of a workflow task between scheduled and started (matching + worker poll delay). */
  maxWorkflowTaskWaitMs: number;
  /** Longest wait of an activity task between scheduled and started (rate limit, slots, matching). */
  maxActivityTaskWaitMs: number;
  /** Failed activity attempts that were retried (the last attempt of each activity is in its started event). */
  activityRetries: number;
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

function eventMs(event: HistoryEvent): number {
  return Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
}

/**
 * History figures of one workflow execution chain: follows continue-as-new from the first run
 * and counts every event and every WorkflowTaskCompleted.
 */
export async function historyStats(
  client: Client,
  workflowId: string,
  firstRunId?: string,
): Promise<HistoryStats> {
  let runId = firstRunId;
  let events = 0;
  let workflowTasks = 0;
  let runs = 0;
  let startTime = NaN;
  let maxWorkflowTaskWaitMs = 0;
  let maxActivityTaskWaitMs = 0;
  let activityRetries = 0;
  for (;;) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    runs++;
    const list = history.events ?? [];
    events += list.length;
    let next: string | undefined;
    const timeById = new Map<string, number>();
    for (const event of list) {
      if (event.eventId != null) timeById.set(String(event.eventId), eventMs(event));
      if (event.workflowTaskCompletedEventAttributes) workflowTasks++;
      const wftStarted = event.workflowTaskStartedEventAttributes;
      const scheduledAt =
        wftStarted?.scheduledEventId != null ? timeById.get(String(wftStarted.scheduledEventId)) : undefined;
      if (scheduledAt !== undefined)
        maxWorkflowTaskWaitMs = Math.max(maxWorkflowTaskWaitMs, eventMs(event) - scheduledAt);
      const actStarted = event.activityTaskStartedEventAttributes;
      const actScheduledAt =
        actStarted?.scheduledEventId != null ? timeById.get(String(actStarted.scheduledEventId)) : undefined;
      // An activity's started event is written when it finishes (after retries): only the first attempt's wait is meaningful.
      if (actStarted && (actStarted.attempt ?? 1) > 1) activityRetries += (actStarted.attempt ?? 1) - 1;
      if (actScheduledAt !== undefined && (actStarted?.attempt ?? 1) <= 1) {
        maxActivityTaskWaitMs = Math.max(maxActivityTaskWaitMs, eventMs(event) - actScheduledAt);
      }
      const started = event.workflowExecutionStartedEventAttributes;
      if (started && Number.isNaN(startTime) && event.eventTime?.seconds != null) startTime = eventMs(event);
      const continued = event.workflowExecutionContinuedAsNewEventAttributes;
      if (continued?.newExecutionRunId) next = continued.newExecutionRunId;
    }
    if (!next) {
      const description = await handle.describe();
      return {
        events,
        workflowTasks,
        runs,
        startTime,
        closeTime: description.closeTime?.getTime() ?? null,
        status: description.status.name,
        maxWorkflowTaskWaitMs,
        maxActivityTaskWaitMs,
        activityRetries,
      };
    }
    runId = next;
  }
}

/** `--name value` / `--flag` command-line options. */
export interface BenchArgs {
  /** Whether `--name` was given, with or without a value. */
  has: (name: string) => boolean;
  /** The value of `--name value` or `--name=value`; undefined when absent or given bare. */
  opt: (name: string) => string | undefined;
}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const out = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const eq = arg.indexOf('=');
    if (eq > 0) {
      out.set(arg.slice(2, eq), arg.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      out.set(arg.slice(2), next);
      i++;
    } else out.set(arg.slice(2), true);
  }
  return {
    has: (name) => out.has(name),
    opt: (name) => {
      const value = out.get(name);
      return value === true ? undefined : value;
    },
  };
}

/** `10s..30m` as [low, high] milliseconds; a single duration is both ends. */
export function parseDurationRange(text: string): [number, number] {
  const [lo, hi] = text.split('..');
  return [parseDuration(lo ?? ''), parseDuration(hi ?? lo ?? '')];
}

export function machineDescription(): {
  nproc: number;
  memory: string;
  node: string;
  platform: string;
  loadAverage: number[];
} {
  return {
    nproc: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
