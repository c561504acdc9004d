/**
 * The one stack launcher: a Temporal engine, the TDG simulator and the webhook listener, each
 * either started here or taken as already running, plus a Temporal client. `npm start` and
 * `npm run dev` (embedded.ts), the benchmarks and the test suite all start their stacks here;
 * they differ only in the options they pass.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { clientDataConverter } from '../../src/platform/data-converter.js';
import { createTemporalNotifier, startListener, type RunningListener } from '../../src/listener/index.js';
import { startSimulator, type RunningSimulator } from '../simulator/index.js';
import type { SimulatorOptions } from '../simulator/app.js';
import { startDevServer, type DevServer, type DevServerOptions } from './dev-server.js';

/** A running Temporal engine: a dev server started here, one given by address, or the caller's own. */
export interface Engine {
  /** For logs and reports: `dev server (temporal CLI, …)`, `PostgreSQL cluster (…)`, an address. */
  description: string;
  /** host:port of the frontend (a restarted dev server keeps it). */
  address: string;
  namespace: string;
  /** TLS for a frontend that requires it (the cluster engine: mutual TLS); absent: plaintext. */
  tls?: TLSConfig;
  /** The engine's own processes, for CPU and memory figures (none for an engine given by address). */
  processes: { name: string; pid(): number | null }[];
  /** Its Prometheus endpoint, when it has one (a restarted dev server gets a new one). */
  metricsUrl(): string | null;
  /** The dev server this launcher started (throws for any other engine). */
  devServer(): DevServer;
  /** Stops the dev server and starts it again on the same port and SQLite file. */
  restart(): Promise<{ downMs: number }>;
  stop(): Promise<void>;
}

export type EngineChoice =
  /** Already running (TEMPORAL_ADDRESS, the test suite's one dev server): used, never stopped. */
  | { address: string; namespace?: string }
  /** A dev server started here; its own log goes to `logTo` (default discarded). */
  | { devServer: DevServerOptions }
  /** Started by the caller (the benchmarks' PostgreSQL cluster); stopped with the stack. */
  | { engine: Engine };

export interface StackOptions {
  temporal: EngineChoice;
  /** The TDG simulator: false when TDG is configured elsewhere. Missing credentials are generated. */
  simulator?: false | ({ port?: number; host?: string } & Partial<SimulatorOptions>);
  /** The webhook listener: false when none is wanted or one runs elsewhere. */
  listener?: false | { port?: number; host?: string; secret?: string };
  /**
   * How the stack's client connects (default: plain gRPC to the engine's address). The embedded
   * stack passes its environment's connection settings (TLS, API key) through here.
   */
  connect?: (address: string, namespace: string) => Promise<{ connection: Connection; client: Client }>;
  /** The payload codec of the default connection's clients (the stack's and its listener's); none: off. */
  payloadCodec?: PayloadCodec | null;
}

/** What the worker needs to reach the simulator as it would TDG. */
export interface SimulatedTdg {
  baseUrl: string;
  apiKey: string;
  username: string;
  password: string;
}

export interface Stack {
  engine: Engine;
  client: Client;
  connection: Connection;
  simulator: RunningSimulator | null;
  tdg: SimulatedTdg | null;
  listener: RunningListener | null;
  /** The URL workers send TDG as the notification URL, and the secret the listener checks. */
  notify: { publicUrl: string; secret: string } | null;
  /** Stops what this launcher started, the engine last. */
  close(): Promise<void>;
}

const randomSecret = (): string => randomBytes(32).toString('hex');

async function engineConnect(
  engine: Engine,
  codec: PayloadCodec | null,
): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({
    address: engine.address,
    ...(engine.tls ? { tls: engine.tls } : {}),
  });
  return {
    connection,
    client: new Client({
      connection,
      namespace: engine.namespace,
      dataConverter: clientDataConverter(codec),
    }),
  };
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };
  try {
    const engine = await startEngine(options.temporal);
    stoppers.push(() => engine.stop());
    const connect = (): Promise<{ connection: Connection; client: Client }> =>
      options.connect
        ? options.connect(engine.address, engine.namespace)
        : engineConnect(engine, options.payloadCodec ?? null);
    const { connection, client } = await connect();
    stoppers.push(() => connection.close());

    let listener: RunningListener | null = null;
    let notify: Stack['notify'] = null;
    if (options.listener) {
      const secret = options.listener.secret ?? randomSecret();
      // Its own connection, as its own process would have: signals never queue behind the caller's calls.
      const own = await connect();
      stoppers.push(() => own.connection.close());
      const notifier = createTemporalNotifier(own.client);
      const running = await startListener(
        { secrets: [secret], notifier },
        { port: options.listener.port ?? 0, host: options.listener.host ?? '127.0.0.1' },
      );
      // Signals still in flight settle before the connection closes.
      stoppers.push(async () => {
        await running.close();
        await notifier.idle();
      });
      listener = running;
      notify = { publicUrl: `${running.url}/notifications`, secret };
    }

    let simulator: RunningSimulator | null = null;
    let tdg: SimulatedTdg | null = null;
    if (options.simulator) {
      const launched = await launchSimulator(options.simulator);
      stoppers.push(() => launched.simulator.close());
      ({ simulator, tdg } = launched);
    }

    return { engine, client, connection, simulator, tdg, listener, notify, close: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/**
 * The TDG simulator as the stack starts it, missing credentials generated; on its own for a caller
 * that needs another simulator next to a stack's (the tests' specially configured ones). The caller closes it.
 */
export async function launchSimulator(
  choice: { port?: number; host?: string } & Partial<SimulatorOptions> = {},
): Promise<{ simulator: RunningSimulator; options: SimulatorOptions; tdg: SimulatedTdg }> {
  const { port, host, ...overrides } = choice;
  const options: SimulatorOptions = {
    apiKey: randomSecret(),
    username: 'tutorial',
    password: randomSecret(),
    ...overrides,
  };
  const simulator = await startSimulator(options, { port: port ?? 0, host: host ?? '127.0.0.1' });
  const { apiKey, username, password } = options;
  return { simulator, options, tdg: { baseUrl: simulator.url, apiKey, username, password } };
}

function startEngine(choice: EngineChoice): Promise<Engine> {
  if ('engine' in choice) return Promise.resolve(choice.engine);
  if ('devServer' in choice) return startDevEngine(choice.devServer);
  const none = (what: string) => (): never => {
    throw new Error(`the engine at ${choice.address} was not started here: no ${what}`);
  };
  return Promise.resolve({
    description: `Temporal at ${choice.address}`,
    address: choice.address,
    namespace: choice.namespace ?? 'default',
    processes: [],
    metricsUrl: () => null,
    devServer: none('dev server'),
    restart: () => Promise.reject(new Error(`the engine at ${choice.address} was not started here`)),
    stop: () => Promise.resolve(),
  });
}

/** A dev server, with the Prometheus URL it prints at start-up (a random port each start). */
async function startDevEngine(options: DevServerOptions): Promise<Engine> {
  let metricsUrl: string | null = null;
  let banner = '';
  const logTo = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (metricsUrl === null && banner.length < 100_000) {
        banner += chunk.toString();
        metricsUrl = /Temporal Metrics:\s+(http\S+)/.exec(banner)?.[1] ?? null;
      }
      if (options.logTo) options.logTo.write(chunk, () => done());
      else done();
    },
  });
  const start = async (port: number | undefined): Promise<DevServer> => {
    metricsUrl = null;
    banner = '';
    const started = await startDevServer({ ...options, ...(port ? { port } : {}), logTo });
    // The banner comes a moment after the frontend answers.
    for (let i = 0; i < 50 && metricsUrl === null; i++) await sleep(100);
    return started;
  };
  let server = await start(options.port);
  const port = Number(server.address.split(':').at(-1));
  return {
    description: `dev server (temporal CLI, SQLite ${options.dbFilename ? 'in a file' : 'in memory'})`,
    address: server.address,
    namespace: options.namespace ?? 'default',
    processes: [{ name: 'dev-server', pid: () => server.process.pid ?? null }],
    metricsUrl: () => metricsUrl,
    devServer: () => server,
    async restart() {
      const down = Date.now();
      await server.stop();
      server = await start(port);
      return { downMs: Date.now() - down };
    },
    stop: () => server.stop(),
  };
}
