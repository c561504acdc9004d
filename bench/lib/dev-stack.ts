/**
 * The services every benchmark runs against: a real Temporal dev server, the TDG simulator and the
 * webhook listener in this process, and a Temporal client.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { freePort, startDevServer, type DevServer } from '../../src/dev/dev-server.js';
import { createTemporalNotifier, startListener, type RunningListener } from '../../src/listener/index.js';
import type { TemporalNotifier } from '../../src/listener/temporal-notifier.js';
import { startSimulator, type RunningSimulator } from '../../src/simulator/index.js';
import type { Faults } from '../../src/simulator/app.js';

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
