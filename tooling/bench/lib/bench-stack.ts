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
import { payloadCodecFor } from '../../../src/platform/data-converter.js';
import { generateKeyEntry, parseCodecKeys } from '../../../src/platform/payload-codec.js';

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
  /** Dev engine: namespaces to create besides `default` (another team's, for Nexus). */
  extraNamespaces?: readonly string[];
  /** Default 'dev'. */
  engine?: EngineKind;
  /** temporal-server processes of the cluster engine (default 1). */
  servers?: number;
  /**
   * Cluster engine: Temporal without mutual TLS and payloads without encryption, to measure what
   * both cost; default false: the cluster as production runs it (mutual TLS, the payload codec).
   */
  plaintext?: boolean;
  /** Cluster engine: its logs are copied to `<prefix>-<process>.log` when it stops. */
  clusterLogPrefix?: string;
  /** Progress lines while the cluster engine starts. */
  say?: (line: string) => void;
}

/** A launcher stack whose simulator and listener are always there. */
export interface BenchStack extends Stack {
  /** The payload codec's key entry (`id:base64`) every process of the run uses; null: no codec. */
  codecKeys: string | null;
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
            ...(options.extraNamespaces ? { extraNamespaces: options.extraNamespaces } : {}),
            startTimeoutMs: 120_000,
          },
        };
  // The production engine runs encrypted, with a key of this run's own; the dev engine as before.
  const codecKeys = options.engine === 'cluster' && !options.plaintext ? generateKeyEntry('bench') : null;
  const stack = await startStack({
    temporal,
    payloadCodec: codecKeys ? payloadCodecFor(parseCodecKeys(codecKeys)) : null,
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
    codecKeys,
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
