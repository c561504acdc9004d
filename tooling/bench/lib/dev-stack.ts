/**
 * The services every benchmark runs against: a real Temporal engine (the dev server, or with
 * `engine: 'cluster'` the PostgreSQL-backed cluster of tooling/cluster/, see engine.ts), the TDG
 * simulator and the webhook listener in this process, and a Temporal client.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { freePort, startDevServer, type DevServer } from '../../stack/dev-server.js';
import { createTemporalNotifier, startListener, type RunningListener } from '../../../src/listener/index.js';
import type { TemporalNotifier } from '../../../src/listener/temporal-notifier.js';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import type { Faults } from '../../simulator/app.js';
import { startClusterEngine, type EngineKind } from './engine.js';
import type { EngineProcessGroup } from './engine-usage.js';

const secret = (): string => randomBytes(32).toString('hex');

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
  /** Default 'dev'. */
  engine?: EngineKind;
  /** temporal-server processes of the cluster engine (default 1). */
  servers?: number;
  /** Cluster engine: its logs are copied to `<prefix>-<process>.log` when it stops. */
  clusterLogPrefix?: string;
  /** Progress lines while the cluster engine starts. */
  say?: (line: string) => void;
}

export interface BenchStack {
  engine: EngineKind;
  /** What ran, for logs and reports: `dev server (temporal CLI)`, `PostgreSQL cluster (…)`. */
  engineDescription: string;
  /** The engine's own processes, for EngineMonitor. */
  engineProcesses: EngineProcessGroup[];
  /**
   * The engine's Prometheus endpoint (its frontend's `action` counter among others): the dev
   * server's `/metrics` (a random port it prints at start-up), or the cluster's temporal-server's
   * when it exposes one; null when there is none. (A dev server restart gets a new port and counter.)
   */
  metricsUrl(): string | null;
  /** host:port of the engine's frontend (stays the same across restartDevServer). */
  address: string;
  namespace: string;
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
  /** The dev server (throws for the cluster engine). */
  devServer(): DevServer;
  /** Stops the dev server and starts it again on the same port (and SQLite file, when given); dev engine only. */
  restartDevServer(): Promise<{ downMs: number }>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

export async function startStack(options: StackOptions = {}): Promise<BenchStack> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
    runtimeInstalled = true;
  }
  if (options.engine === 'cluster') {
    const cluster = await startClusterEngine({
      servers: options.servers ?? 1,
      say: options.say ?? (() => undefined),
      ...(options.clusterLogPrefix ? { logPrefix: options.clusterLogPrefix } : {}),
    });
    try {
      return await connectStack(options, {
        engine: 'cluster',
        engineDescription: cluster.description,
        engineProcesses: cluster.processGroups,
        address: cluster.address,
        namespace: cluster.namespace,
        metricsUrl: () => cluster.metricsUrl,
        devServer: () => {
          throw new Error('the cluster engine has no dev server');
        },
        restartDevServer: () => Promise.reject(new Error('the cluster engine has no dev server to restart')),
        stopEngine: () => cluster.stop(),
      });
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }
  const port = await freePort();
  const devLog: WriteStream | undefined = options.devServerLog
    ? createWriteStream(options.devServerLog, { flags: 'a' })
    : undefined;
  // The dev server prints `Temporal Metrics: http://localhost:PORT/metrics` (a random port) at start-up.
  let metricsUrl: string | null = null;
  let banner = '';
  const logTo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (metricsUrl === null && banner.length < 100_000) {
        banner += chunk.toString();
        metricsUrl = /Temporal Metrics:\s+(http\S+)/.exec(banner)?.[1] ?? null;
      }
      if (devLog) devLog.write(chunk, () => done());
      else done();
    },
  });
  const startServer = async (): Promise<DevServer> => {
    metricsUrl = null;
    banner = '';
    const started = await startDevServer({
      port,
      uiPort: null,
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      logTo,
      startTimeoutMs: 120_000,
    });
    for (let i = 0; i < 50 && metricsUrl === null; i++) await sleep(100);
    return started;
  };
  let server = await startServer();
  return connectStack(options, {
    engine: 'dev',
    engineDescription: 'dev server (temporal CLI, SQLite in memory)',
    engineProcesses: [{ name: 'dev-server', pid: () => server.process.pid ?? null }],
    address: server.address,
    namespace: 'default',
    metricsUrl: () => metricsUrl,
    devServer: () => server,
    async restartDevServer() {
      const down = Date.now();
      await server.stop();
      server = await startServer();
      return { downMs: Date.now() - down };
    },
    async stopEngine() {
      await server.stop();
      devLog?.end();
    },
  });
}

type EngineParts = Pick<
  BenchStack,
  | 'engine'
  | 'engineDescription'
  | 'engineProcesses'
  | 'address'
  | 'namespace'
  | 'metricsUrl'
  | 'devServer'
  | 'restartDevServer'
> & { stopEngine: () => Promise<void> };

/** Client, listener and simulator against a running engine. */
async function connectStack(options: StackOptions, engine: EngineParts): Promise<BenchStack> {
  const { stopEngine, ...parts } = engine;
  const connection = await Connection.connect({ address: engine.address });
  const client = new Client({ connection, namespace: engine.namespace });
  const notifySecret = secret();
  // The listener has its own connection, as its own process would: signals never queue behind the harness's calls.
  const listenerConnection = await Connection.connect({ address: engine.address });
  const notifier: TemporalNotifier = createTemporalNotifier(
    new Client({ connection: listenerConnection, namespace: engine.namespace }),
  );
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
    ...parts,
    client,
    connection,
    sim,
    listener,
    apiKey,
    username,
    password,
    notifySecret,
    notifyPublicUrl: `${listener.url}/notifications`,
    async close() {
      await listener.close();
      await notifier.idle();
      await sim.close();
      await listenerConnection.close();
      await connection.close();
      await stopEngine();
    },
  };
}
