/**
 * The benchmarks' stack: the one launcher (tooling/stack/launcher.ts) with the engine `--engine`
 * names — a dev server, or the PostgreSQL cluster of tooling/cluster/ (engine.ts) — and the TDG
 * simulator and webhook listener always on, in this process.
 */
import { createWriteStream } from 'node:fs';
import type { RunningListener } from '../../../src/listener/index.js';
import type { Faults } from '../../simulator/app.js';
import type { RunningSimulator } from '../../simulator/index.js';
import { startStack, type Engine, type SimulatedTdg, type Stack } from '../../stack/launcher.js';
import { startClusterEngine, type EngineKind } from './engine.js';

export interface BenchStackOptions {
  /** Dev server SQLite file (state survives a restart); omitted: in memory. */
  dbFilename?: string;
  /** Simulator PRNG seed (job ids, fault draws); default 42. */
  seed?: number;
  faults?: Partial<Faults>;
  /** Simulator notification retries (default the simulator's [200, 1000, 3000]). */
  notificationRetryDelaysMs?: number[];
  /** Where the dev server's own log goes (a file path); default discarded. */
  devServerLog?: string;
  /** Default 'dev'. */
  engine?: EngineKind;
  /** temporal-server processes of the cluster engine (default 1). */
  servers?: number;
  /** Cluster engine: Temporal without mutual TLS (to compare); default false. */
  plaintext?: boolean;
  /** Cluster engine: its logs are copied to `<prefix>-<process>.log` when it stops. */
  clusterLogPrefix?: string;
  /** Progress lines while the cluster engine starts. */
  say?: (line: string) => void;
}

/** A launcher stack whose simulator and listener are always there. */
export interface BenchStack extends Stack {
  simulator: RunningSimulator;
  tdg: SimulatedTdg;
  listener: RunningListener;
  notify: { publicUrl: string; secret: string };
}

export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const devLog = options.devServerLog ? createWriteStream(options.devServerLog, { flags: 'a' }) : undefined;
  const temporal =
    options.engine === 'cluster'
      ? { engine: await clusterEngine(options) }
      : {
          devServer: {
            uiPort: null,
            ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
            ...(devLog ? { logTo: devLog } : {}),
            startTimeoutMs: 120_000,
          },
        };
  const stack = await startStack({
    temporal,
    simulator: {
      username: 'bench',
      password: 'bench-password',
      seed: options.seed ?? 42,
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.notificationRetryDelaysMs
        ? { notificationRetryDelaysMs: options.notificationRetryDelaysMs }
        : {}),
    },
    listener: {},
  });
  const { simulator, tdg, listener, notify } = stack;
  if (!simulator || !tdg || !listener || !notify)
    throw new Error('the launcher left out a part it was asked for');
  return {
    ...stack,
    simulator,
    tdg,
    listener,
    notify,
    async close() {
      await stack.close();
      devLog?.end();
    },
  };
}

async function clusterEngine(options: BenchStackOptions): Promise<Engine> {
  const cluster = await startClusterEngine({
    servers: options.servers ?? 1,
    plaintext: options.plaintext ?? false,
    say: options.say ?? (() => undefined),
    ...(options.clusterLogPrefix ? { logPrefix: options.clusterLogPrefix } : {}),
  });
  const noDevServer = (): never => {
    throw new Error('the cluster engine has no dev server');
  };
  return {
    description: cluster.description,
    address: cluster.address,
    ...(cluster.tls ? { tls: cluster.tls } : {}),
    namespace: cluster.namespace,
    processes: cluster.processGroups,
    metricsUrl: () => cluster.metricsUrl,
    devServer: noDevServer,
    restart: () => Promise.reject(new Error('the cluster engine has no dev server to restart')),
    stop: () => cluster.stop(),
  };
}
