/**
 * Bench workers as separate processes (tooling/bench/lib/worker-main.ts), so their CPU and memory are
 * measured alone and chaos can SIGKILL them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { PROJECT_ROOT } from '../../../src/platform/project-root.js';
import type { BenchStack } from './bench-stack.js';
import { WORKER_MAIN_PATH } from './paths.js';
import { processUsage, type ProcessUsage } from './process-usage.js';

/** Everything the worker process needs (passed as JSON in its environment; local secrets only). */
export interface WorkerProcessConfig {
  address: string;
  /** The payload codec's key entry (`id:base64`), when the run encrypts. */
  codecKeys?: string;
  /** PEM texts for a frontend that requires mutual TLS (the cluster engine). */
  tls?: { ca: string; cert: string; key: string; serverName?: string };
  namespace: string;
  taskQueue: string;
  bundlePath: string;
  tdg: { baseUrl: string; apiKey: string; username: string; password: string; requestTimeoutMs: number };
  notify: { publicUrl: string; secret: string } | null;
  maxConcurrentActivities: number;
  maxTdgCallsPerSecond: number;
  /** The sticky cache (WORKER_MAX_CACHED_WORKFLOWS); the worker's default when absent. */
  maxCachedWorkflows?: number;
  logLevel?: string;
}

function pemTexts(tls: TLSConfig): NonNullable<WorkerProcessConfig['tls']> {
  const text = (data: Uint8Array | undefined): string =>
    Buffer.from(data ?? new Uint8Array()).toString('utf8');
  return {
    ca: text(tls.serverRootCACertificate),
    cert: text(tls.clientCertPair?.crt),
    key: text(tls.clientCertPair?.key),
    ...(tls.serverNameOverride ? { serverName: tls.serverNameOverride } : {}),
  };
}

export function workerConfig(
  stack: BenchStack,
  taskQueue: string,
  bundlePath: string,
  opts: {
    notifications: boolean;
    maxTdgCallsPerSecond: number;
    maxConcurrentActivities?: number;
    maxCachedWorkflows?: number;
    requestTimeoutMs?: number;
    tdgBaseUrl?: string;
  },
): WorkerProcessConfig {
  return {
    address: stack.engine.address,
    ...(stack.engine.tls ? { tls: pemTexts(stack.engine.tls) } : {}),
    ...(stack.codecKeys ? { codecKeys: stack.codecKeys } : {}),
    namespace: stack.engine.namespace,
    taskQueue,
    bundlePath,
    tdg: {
      baseUrl: opts.tdgBaseUrl ?? stack.simulator.url,
      apiKey: stack.tdg.apiKey,
      username: stack.tdg.username,
      password: stack.tdg.password,
      requestTimeoutMs: opts.requestTimeoutMs ?? 15_000,
    },
    notify: opts.notifications ? { publicUrl: stack.notify.publicUrl, secret: stack.notify.secret } : null,
    maxConcurrentActivities: opts.maxConcurrentActivities ?? 100,
    maxTdgCallsPerSecond: opts.maxTdgCallsPerSecond,
    ...(opts.maxCachedWorkflows === undefined ? {} : { maxCachedWorkflows: opts.maxCachedWorkflows }),
    logLevel: 'WARN',
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
 * Starts tooling/bench/lib/worker-main.ts as a child process. Its stdout/stderr go to `logFile`. Usage is
 * sampled every 500 ms so the figures survive the process (peak RSS is the kernel's high-water mark).
 */
export function spawnWorker(config: WorkerProcessConfig, logFile: string): WorkerProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_MAIN_PATH], {
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
