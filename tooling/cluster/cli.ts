/** `npm run cluster`: the command line, before anything starts. */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { parseDuration } from '../../src/platform/duration.js';
import { errorLine } from '../../src/platform/process.js';
import { MAX_PORT_OFFSET, MAX_SERVERS, MAX_WORKERS } from './ports.js';
import {
  DEFAULT_DATA_DIR,
  describeCluster,
  startCluster,
  type Cluster,
  type ClusterOptions,
} from './stack.js';
import {
  provisionPostgres,
  provisionPrometheus,
  provisionServerTools,
  provisionUiServer,
  TEMPORAL_SERVER_VERSION,
} from './tools.js';

export const USAGE = `usage: npm run cluster -- [--servers N] [--workers N] [--data-dir DIR] [--reset] [--port-offset N]
                          [--restart-delay 1s]
       npm run cluster -- --tools-only
  Runs docker-compose.yml's stack on this machine: PostgreSQL, schema setup, Temporal ${TEMPORAL_SERVER_VERSION}
  (built from source into .tools/ the first time), namespace setup, the simulator (when TDG_BASE_URL
  is unset), the listener and the workers.
  --servers N        temporal-server processes in one membership ring (default 1, at most ${MAX_SERVERS})
  --workers N        worker processes (default 1, at most ${MAX_WORKERS})
  --data-dir DIR     PostgreSQL data, logs and state (default .data/cluster; kept between runs)
  --reset            delete the data folder first (an empty database)
  --port-offset N    add N to every port (PostgreSQL 15432, Temporal 7233…, listener 8788, simulator 8787;
                     at most ${MAX_PORT_OFFSET}: Temporal keeps membership ports in a smallint column)
  --restart-delay D  wait before restarting a process that exited unasked (default 1s, doubling
                     while it keeps crashing)
  --tools-only       build/install temporal-server, temporal-sql-tool, the UI server, PostgreSQL and
                     Prometheus, then exit
exit codes: 0 stopped by Ctrl-C/SIGTERM, 1 failed, 2 usage error`;

/** What `startCluster` takes, less where it reports (the CLI prints), plus `--tools-only`. */
export type CliOptions = Omit<ClusterOptions, 'say'> & { toolsOnly: boolean };

export class UsageError extends Error {
  override name = 'UsageError';
}

function integer(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

function restartDelay(value: string | undefined): number {
  if (value === undefined) return 1_000;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (err) {
    throw new UsageError(`--restart-delay: ${(err as Error).message}`);
  }
  if (ms < 100 || ms > 600_000) throw new UsageError('--restart-delay must be between 100ms and 10m');
  return ms;
}

/** undefined: --help was asked for. */
export function parseCliArgs(argv: readonly string[]): CliOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        servers: { type: 'string' },
        workers: { type: 'string' },
        'data-dir': { type: 'string' },
        reset: { type: 'boolean' },
        'port-offset': { type: 'string' },
        'restart-delay': { type: 'string' },
        'tools-only': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0] ?? 'invalid arguments');
  }
  const v = parsed.values;
  if (v.help) return undefined;
  return {
    servers: integer('servers', v.servers, 1, 1, MAX_SERVERS),
    workers: integer('workers', v.workers, 1, 1, MAX_WORKERS),
    dataDir: resolve(v['data-dir'] ?? DEFAULT_DATA_DIR),
    reset: v.reset ?? false,
    portOffset: integer('port-offset', v['port-offset'], 0, 0, MAX_PORT_OFFSET),
    restartDelayMs: restartDelay(v['restart-delay']),
    toolsOnly: v['tools-only'] ?? false,
  };
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);
const stamp = (line: string): void => say(`${new Date().toISOString().slice(11, 19)} ${line}`);

export async function main(argv: readonly string[]): Promise<number> {
  let options: CliOptions | undefined;
  try {
    options = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`cluster: ${err.message} (npm run cluster -- --help)\n`);
    return 2;
  }
  if (!options) {
    say(USAGE);
    return 0;
  }
  if (options.toolsOnly) {
    const tools = provisionServerTools({ say: stamp });
    const pg = provisionPostgres({ say: stamp });
    const prometheus = provisionPrometheus({ say: stamp });
    const ui = provisionUiServer({ say: stamp });
    say(`temporal-server: ${tools.server}\ntemporal-sql-tool: ${tools.sqlTool}\nschema: ${tools.schemaRoot}`);
    say(`postgresql ${pg.version}: ${pg.binDir}`);
    say(`prometheus: ${prometheus.prometheus}\npromtool: ${prometheus.promtool}`);
    say(`temporal-ui ${ui.version}: ${ui.server}`);
    return 0;
  }

  let cluster: Cluster | undefined;
  let stopping: Promise<void> | undefined;
  let firstSignalAt = 0;
  const stop = (signal: NodeJS.Signals): void => {
    // npm and tsx relay the terminal's Ctrl-C too: a repeat within 2 s is the same request.
    if (stopping && Date.now() - firstSignalAt < 2_000) return;
    if (stopping) {
      stamp(`${signal} again: leaving at once`);
      process.exit(130);
    }
    firstSignalAt = Date.now();
    stamp(`${signal}: stopping`);
    stopping = (cluster?.stop() ?? Promise.resolve()).then(() => stamp('stopped'));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    cluster = await startCluster({ ...options, say: stamp });
  } catch (err) {
    if (stopping) {
      await stopping;
      return 0;
    }
    process.stderr.write(`cluster: ${errorLine(err)}\n`);
    return 1;
  }
  if (stopping) {
    await cluster.stop();
    return 0;
  }
  for (const line of describeCluster(cluster.state())) stamp(line);
  // Stay up until a signal: the supervised processes keep the event loop alive.
  await new Promise<void>((resolveStop) => {
    const poll = setInterval(() => {
      if (stopping) {
        clearInterval(poll);
        void stopping.then(resolveStop);
      }
    }, 200);
  });
  return 0;
}
