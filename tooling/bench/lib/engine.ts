/**
 * The Temporal engine a bench run uses (`--engine`):
 *
 *   dev      the temporal CLI's dev server (one process, SQLite in memory), as before;
 *   cluster  the production engine `npm run cluster` runs (tooling/cluster/): PostgreSQL in a data
 *            folder of its own, schema by deploy/temporal/setup-postgres.sh, `--servers N`
 *            temporal-server processes in one ring, namespace and search attributes by
 *            deploy/temporal/create-namespace.sh — engine only: the bench runs its own simulator,
 *            listener and workers. A new, empty database in a temp folder every run.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { freePort } from '../../stack/dev-server.js';
import { allPorts, MAX_SERVERS, stackPorts } from '../../cluster/ports.js';
import type { TLSConfig } from '@temporalio/client';
import { clusterConnectionOptions, portFree, startCluster, type Cluster } from '../../cluster/stack.js';
import { findPostgres } from '../../cluster/tools.js';
import { UsageError } from './args.js';
import type { EngineProcessGroup } from './engine-usage.js';

export const ENGINES = ['dev', 'cluster'] as const;
export type EngineKind = (typeof ENGINES)[number];

/** `--engine` and `--servers` (the latter only with the cluster; default 1). */
export function engineFlags(
  engineText: string | undefined,
  serversText: string | undefined,
): { engine: EngineKind; servers: number } {
  const engine = engineText ?? 'dev';
  if (!(ENGINES as readonly string[]).includes(engine)) {
    throw new UsageError(`--engine must be ${ENGINES.join(' or ')}, got ${JSON.stringify(engineText)}`);
  }
  if (serversText === undefined) return { engine: engine as EngineKind, servers: 1 };
  if (engine !== 'cluster') throw new UsageError('--servers needs --engine cluster');
  const servers = Number(serversText);
  if (!/^\d+$/.test(serversText) || servers < 1 || servers > MAX_SERVERS) {
    throw new UsageError(
      `--servers must be an integer from 1 to ${MAX_SERVERS}, got ${JSON.stringify(serversText)}`,
    );
  }
  return { engine: 'cluster', servers };
}

/** Port offsets tried for the bench's cluster (clear of `npm run cluster` at 0 and its test at 10000). */
const OFFSETS = [12_000, 13_000, 14_000, 15_000, 16_000];

async function freeOffset(servers: number): Promise<number> {
  for (const offset of OFFSETS) {
    const ports = allPorts(stackPorts(servers, 0, offset));
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return offset;
  }
  throw new Error(`no free set of cluster ports at offsets ${OFFSETS.join(', ')}`);
}

export interface ClusterEngine {
  address: string;
  /** The bench's client certificate for the cluster's frontend; absent when plaintext. */
  tls?: TLSConfig;
  namespace: string;
  description: string;
  processGroups: EngineProcessGroup[];
  /** temporal-server's Prometheus endpoint (one server only: every node of a ring would take the same port). */
  metricsUrl: string | null;
  /** Stops the cluster, copies its logs to `<logPrefix>-<process>.log` and deletes the data folder. */
  stop(): Promise<void>;
}

export async function startClusterEngine(options: {
  servers: number;
  /** Temporal without mutual TLS (to measure its cost); default false: as `npm run cluster` runs it. */
  plaintext?: boolean;
  /** Path prefix of the copied logs (e.g. tooling/bench/results/quick-cluster); omitted: not kept. */
  logPrefix?: string;
  say: (line: string) => void;
}): Promise<ClusterEngine> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tdg-bench-cluster-'));
  const keepLogs = (): void => {
    const logs = join(dataDir, 'logs');
    if (!options.logPrefix || !existsSync(logs)) return;
    for (const file of readdirSync(logs)) cpSync(join(logs, file), `${options.logPrefix}-${file}`);
  };
  // docker-compose.yml passes TEMPORAL_PROMETHEUS_ENDPOINT to the server as PROMETHEUS_ENDPOINT, and the
  // native run interpolates it from this process's environment when the stack is created.
  const metricsPort = options.servers === 1 ? await freePort() : null;
  const previousEndpoint = process.env.TEMPORAL_PROMETHEUS_ENDPOINT;
  if (metricsPort !== null) process.env.TEMPORAL_PROMETHEUS_ENDPOINT = `127.0.0.1:${metricsPort}`;
  let cluster: Cluster;
  try {
    cluster = await startCluster({
      servers: options.servers,
      workers: 0,
      dataDir,
      reset: false,
      portOffset: await freeOffset(options.servers),
      restartDelayMs: 1_000,
      engineOnly: true,
      plaintext: options.plaintext ?? false,
      say: (line) => options.say(`cluster: ${line}`),
    });
  } catch (error) {
    keepLogs();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  } finally {
    if (previousEndpoint === undefined) delete process.env.TEMPORAL_PROMETHEUS_ENDPOINT;
    else process.env.TEMPORAL_PROMETHEUS_ENDPOINT = previousEndpoint;
  }
  // The cluster's processes run in process groups of their own, out of Ctrl-C's reach: stop them.
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    stopping ??= cluster.stop().finally(() => {
      keepLogs();
      rmSync(dataDir, { recursive: true, force: true });
    });
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    options.say(`${signal}: stopping the cluster`);
    void stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const state = cluster.state();
  const servers = state.processes.filter((p) => /^temporal-\d+$/.test(p.name)).map((p) => p.name);
  const pidOf = (name: string) => (): number | null => cluster.process(name).pid;
  return {
    address: state.temporalAddress,
    ...(options.plaintext ? {} : { tls: clusterConnectionOptions(state).tls as TLSConfig }),
    namespace: state.namespace,
    description: `PostgreSQL cluster (temporal-server ${state.temporalVersion} × ${servers.length}, PostgreSQL ${findPostgres()?.version ?? '?'})`,
    processGroups: [...servers, 'postgresql'].map((name) => ({ name, pid: pidOf(name) })),
    metricsUrl: metricsPort === null ? null : `http://127.0.0.1:${metricsPort}/metrics`,
    stop,
  };
}
