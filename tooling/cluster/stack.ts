/**
 * `npm run cluster`: docker-compose.yml's stack as processes on this machine, in compose's order —
 * PostgreSQL (a data folder of its own) → schema setup (deploy/temporal/setup-postgres.sh, the
 * compose job's entrypoint) → N temporal-server processes sharing the database in one membership
 * ring (the embedded config template, driven by the compose service's environment) → namespace
 * and search attributes (deploy/temporal/create-namespace.sh) → simulator (when TDG_BASE_URL is
 * unset), listener and M workers (our entry points, with the compose services' environment).
 * Before anything, tls-certificates (src/security/certificates.ts) makes sure the stack's private CA
 * and every component's certificate are valid, in <data>/tls (and the CA's key in <data>/tls-ca):
 * Temporal's frontend and internode traffic require them (mutual TLS).
 * Long-running processes are supervised (restarted when they exit unasked); the state, with every
 * pid, is kept in <data>/cluster.json for operators and the cluster test.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { dirname, join, relative } from 'node:path';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { stringify as stringifyYaml } from 'yaml';

import { findBinary, TEMPORAL_CLI } from '../stack/temporal-binaries.js';
import { parseDuration } from '../../src/platform/duration.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { PREBUILT_BUNDLE_PATH } from '../../src/worker/factory.js';
import { SEARCH_ATTRIBUTE_NAMES } from '../../src/contract/definitions.js';
import { caFiles, identityFiles, type Identity } from '../../src/security/certificates.js';
import {
  composeService,
  entrypointScript,
  volumePath,
  imageTag,
  readCompose,
  serviceEnvironment,
  type ComposeFile,
  type ComposeService,
} from './compose.js';
import {
  codecServerEnvironment,
  listenerEnvironment,
  namespaceJobEnvironment,
  schemaJobEnvironment,
  serverEnvironment,
  simulatorEnvironment,
  uiEnvironment,
  workerEnvironment,
  type NativeContext,
} from './plan.js';
import { allPorts, stackPorts, type StackPorts } from './ports.js';
import { initPostgres, postgresProcess } from './postgres.js';
import { runJob, Supervised, type ProcessSpec, type ProcessView } from './supervisor.js';
import {
  provisionPostgres,
  provisionPrometheus,
  provisionServerTools,
  provisionUiServer,
  TEMPORAL_SERVER_VERSION,
  type PostgresTools,
  type PrometheusTools,
  type ServerTools,
  type UiTools,
} from './tools.js';

export const ALERT_RULES_PATH = join(PROJECT_ROOT, 'deploy', 'prometheus', 'alerts.yml');
export const DEFAULT_DATA_DIR = join(PROJECT_ROOT, '.data', 'cluster');
export const STATE_FILE = 'cluster.json';

export interface ClusterOptions {
  servers: number;
  workers: number;
  dataDir: string;
  reset: boolean;
  portOffset: number;
  /** Wait before restarting a process that exited unasked. */
  restartDelayMs: number;
  /**
   * Only the engine: PostgreSQL, schema setup, the Temporal servers and the namespace job; no Web
   * UI, simulator, listener, workers or Prometheus (`npm run bench -- --engine cluster` runs its
   * own). Default false.
   */
  engineOnly?: boolean;
  /**
   * Bench only (with engineOnly): Temporal without TLS, to measure what mutual TLS costs. Not a
   * flag of `npm run cluster`, whose frontend always requires client certificates.
   */
  plaintext?: boolean;
  say: (line: string) => void;
}

/** What a client of the cluster's frontend needs: the CA to trust and a client certificate. */
export interface ClusterTls {
  caCert: string;
  clientCert: string;
  clientKey: string;
}

export interface ClusterState {
  runnerPid: number;
  ready: boolean;
  temporalVersion: string;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  simulatorUrl: string | null;
  listenerUrl: string;
  prometheusUrl: string | null;
  uiUrl: string | null;
  /** Decrypts payloads for the Web UI and the temporal CLI (token in secrets.json: codecServerToken). */
  codecServerUrl: string | null;
  /** The operators' (admin) certificate files; every component has its own. */
  tls: ClusterTls;
  dataDir: string;
  processes: ProcessView[];
}

/** The folders docker-compose.yml's named volumes are natively. */
export function clusterVolumes(dataDir: string): { tls: string; 'tls-ca': string; 'payload-keys': string } {
  return {
    tls: join(dataDir, 'tls'),
    'tls-ca': join(dataDir, 'tls-ca'),
    'payload-keys': join(dataDir, 'payload-keys'),
  };
}

/** The payload codec's key file (docker-compose.yml's payload-keys volume, natively). */
export function clusterPayloadKeysFile(dataDir: string): string {
  return join(clusterVolumes(dataDir)['payload-keys'], 'payload-codec.keys');
}

export function clusterTls(dataDir: string, identity: Identity = 'admin'): ClusterTls {
  const dir = clusterVolumes(dataDir).tls;
  const files = identityFiles(dir, identity);
  return { caCert: caFiles(dir).cert, clientCert: files.cert, clientKey: files.key };
}

/**
 * The name clients verify the frontend's certificate against. It also names 127.0.0.1, but Node
 * warns (DEP0123) when a TLS server name is an IP address.
 */
export const CLUSTER_SERVER_NAME = 'temporal';

/** `Connection.connect` / `NativeConnection.connect` options for the cluster's frontend. */
export function clusterConnectionOptions(
  state: Pick<ClusterState, 'temporalAddress' | 'tls'>,
): Pick<ConnectionOptions, 'address' | 'tls'> {
  return {
    address: state.temporalAddress,
    tls: {
      serverNameOverride: CLUSTER_SERVER_NAME,
      serverRootCACertificate: readFileSync(state.tls.caCert),
      clientCertPair: { crt: readFileSync(state.tls.clientCert), key: readFileSync(state.tls.clientKey) },
    },
  };
}

/** The variables that point the temporal CLI, `npm run job` and `npm run setup` at the cluster. */
export function clusterClientEnv(
  state: Pick<ClusterState, 'temporalAddress' | 'tls' | 'dataDir'>,
): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: state.temporalAddress,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: state.tls.caCert,
    TEMPORAL_TLS_CLIENT_CERT_PATH: state.tls.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: state.tls.clientKey,
    TEMPORAL_TLS_SERVER_NAME: CLUSTER_SERVER_NAME,
    PAYLOAD_CODEC_KEYS_FILE: clusterPayloadKeysFile(state.dataDir),
  };
}

interface Secrets {
  postgresPassword: string;
  /** Added in 1.2: absent from an older data folder's secrets.json until it is rewritten. */
  codecServerToken?: string;
  notifySecret: string;
  tdgApiKey: string;
  tdgUsername: string;
  tdgPassword: string;
}

const secret = (): string => randomBytes(24).toString('hex');

function loadSecrets(dataDir: string): Required<Secrets> {
  const path = join(dataDir, 'secrets.json');
  if (existsSync(path)) {
    const kept = JSON.parse(readFileSync(path, 'utf8')) as Secrets;
    if (kept.codecServerToken) return kept as Required<Secrets>;
    const completed = { ...kept, codecServerToken: secret() };
    writeFileSync(path, JSON.stringify(completed), { mode: 0o600 });
    return completed;
  }
  const made: Required<Secrets> = {
    codecServerToken: secret(),
    postgresPassword: secret(),
    notifySecret: secret(),
    tdgApiKey: secret(),
    tdgUsername: 'cluster',
    tdgPassword: secret(),
  };
  writeFileSync(path, JSON.stringify(made), { mode: 0o600 });
  return made;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Processes a killed runner left behind (they run in process groups of their own): stopped when
 * the pid still runs the same program, so a reused pid is never touched.
 */
async function stopLeftovers(previous: ClusterState, say: (line: string) => void): Promise<void> {
  const killed: number[] = [];
  for (const view of previous.processes) {
    if (view.pid === null || !view.command) continue;
    let same: boolean;
    try {
      const args = readFileSync(`/proc/${view.pid}/cmdline`, 'utf8').split('\0').slice(1, -1);
      const cwd = readlinkSync(`/proc/${view.pid}/cwd`);
      // PostgreSQL changes into its data folder, which its arguments name.
      same =
        readlinkSync(`/proc/${view.pid}/exe`) === view.command &&
        JSON.stringify(args) === JSON.stringify(view.args) &&
        (cwd === view.cwd || args.includes(cwd));
    } catch {
      continue;
    }
    if (!same) continue;
    say(`stopping ${view.name} (pid ${view.pid}) left by an earlier run`);
    try {
      process.kill(view.pid, 'SIGKILL');
      killed.push(view.pid);
    } catch {
      // already gone
    }
  }
  for (let i = 0; i < 100 && killed.some(isAlive); i++) await sleep(100);
}

export function readState(dataDir: string): ClusterState | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, STATE_FILE), 'utf8')) as ClusterState;
  } catch {
    return undefined;
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Compose's `['node', 'dist/src/bin/x.js']` → this checkout's `node --import tsx src/bin/x.ts`. */
function nodeCommand(service: ComposeService): string[] {
  const script = service.command?.find((arg) => /^dist\/.+\.js$/.test(arg));
  if (service.command?.[0] !== 'node' || !script) {
    throw new Error(`expected command ['node', 'dist/….js'], got ${JSON.stringify(service.command)}`);
  }
  const rest = service.command.slice(service.command.indexOf(script) + 1);
  return ['--import', 'tsx', script.replace(/^dist\//, '').replace(/\.js$/, '.ts'), ...rest];
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (file.endsWith('.ts')) newest = Math.max(newest, statSync(join(dir, file)).mtimeMs);
  }
  return newest;
}

function bundleIsFresh(): boolean {
  if (!existsSync(PREBUILT_BUNDLE_PATH)) return false;
  const built = statSync(PREBUILT_BUNDLE_PATH).mtimeMs;
  return ['workflows', join('src', 'contract'), join('src', 'worker')].every(
    (dir) => newestMtime(join(PROJECT_ROOT, dir)) < built,
  );
}

/** The frontend's gRPC health (what `temporal operator cluster health` asks). */
class FrontendProbe {
  private connections = new Map<string, Promise<Connection>>();

  constructor(private readonly tls: ClusterTls | null) {}

  async serving(address: string): Promise<boolean> {
    let connection = this.connections.get(address);
    if (!connection) {
      connection = Connection.connect({
        ...(this.tls ? clusterConnectionOptions({ temporalAddress: address, tls: this.tls }) : { address }),
        connectTimeout: 2_000,
      });
      this.connections.set(address, connection);
      connection.catch(() => this.connections.delete(address));
    }
    const ready = await connection;
    const answer = await ready.withDeadline(Date.now() + 2_000, () =>
      ready.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' }),
    );
    return Number(answer.status) === 1; // SERVING
  }

  async close(): Promise<void> {
    for (const connection of this.connections.values()) {
      await connection.then((c) => c.close()).catch(() => undefined);
    }
    this.connections.clear();
  }
}

async function httpOk(url: string): Promise<boolean> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  await response.body?.cancel();
  return response.ok;
}

export interface Cluster {
  state(): ClusterState;
  process(name: string): Supervised;
  /** Stops everything in reverse order of start. */
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const { say } = options;
  const dataDir = options.dataDir;
  const previous = readState(dataDir);
  if (previous && previous.runnerPid !== process.pid && isAlive(previous.runnerPid)) {
    throw new Error(`a cluster already runs from ${dataDir} (pid ${previous.runnerPid}): stop it first`);
  }
  if (previous) await stopLeftovers(previous, say);
  if (options.reset && existsSync(dataDir)) {
    say(`--reset: removing ${dataDir}`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(join(dataDir, 'logs'), { recursive: true });
  // The postgres user must reach its data folder inside ours.
  chmodSync(dataDir, 0o755);

  const compose = readCompose();
  const composeVersion = imageTag(composeService(compose, 'temporal'));
  if (composeVersion !== TEMPORAL_SERVER_VERSION) {
    throw new Error(
      `docker-compose.yml runs temporalio/server:${composeVersion} but this checkout builds ${TEMPORAL_SERVER_VERSION}`,
    );
  }
  const ports = stackPorts(options.servers, options.workers, options.portOffset);
  const busy: number[] = [];
  for (const port of allPorts(ports)) if (!(await portFree(port))) busy.push(port);
  if (busy.length > 0) {
    throw new Error(
      `port${busy.length > 1 ? 's' : ''} ${busy.join(', ')} in use on 127.0.0.1 (npm run dev or another cluster?); stop it or use --port-offset`,
    );
  }

  const serverTools = provisionServerTools({ say });
  const pgTools = provisionPostgres({ say });
  const cli = findBinary(TEMPORAL_CLI);
  if (!cli) throw new Error('the temporal CLI is missing: run `npm run tools`');
  const secrets = loadSecrets(dataDir);
  let prometheus: PrometheusTools | undefined;
  if (!options.engineOnly) {
    try {
      prometheus = provisionPrometheus({ say });
    } catch (err) {
      say(`Prometheus unavailable, not scraping the workers: ${(err as Error).message}`);
    }
  }

  const stack = new NativeStack(options, compose, ports, serverTools, pgTools, cli, secrets, prometheus);
  try {
    await stack.start();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

class NativeStack implements Cluster {
  private readonly started: Supervised[] = [];
  private readonly probe: FrontendProbe;
  private readonly logs: string;
  private readonly basePath: string;
  private ready = false;
  private simulatorUrl: string | null = null;
  private prometheusUrl: string | null = null;
  private uiUrl: string | null = null;
  private codecServerUrl: string | null = null;
  private readonly temporalAddress: string;
  private readonly listenerUrl: string;
  private readonly vars: Record<string, string | undefined>;
  private readonly ctx: NativeContext;

  constructor(
    private readonly options: ClusterOptions,
    private readonly compose: ComposeFile,
    private readonly ports: StackPorts,
    private readonly serverTools: ServerTools,
    private readonly pgTools: PostgresTools,
    private readonly cli: string,
    private readonly secrets: Required<Secrets>,
    private readonly prometheus: PrometheusTools | undefined,
  ) {
    this.logs = join(options.dataDir, 'logs');
    this.probe = new FrontendProbe(options.plaintext ? null : clusterTls(options.dataDir));
    this.basePath = [serverTools.binDir, dirname(cli), process.env.PATH ?? '/usr/bin:/bin'].join(':');
    this.temporalAddress = `127.0.0.1:${ports.nodes[0]?.FRONTEND_GRPC_PORT ?? 7233}`;
    this.listenerUrl = `http://127.0.0.1:${ports.listener}`;
    // What compose interpolates from .env: the user's environment plus the generated password.
    this.vars = {
      ...process.env,
      POSTGRES_PASSWORD: secrets.postgresPassword,
      CODEC_SERVER_TOKENS: process.env.CODEC_SERVER_TOKENS || secrets.codecServerToken,
    };
    this.ctx = {
      vars: this.vars,
      postgresPort: ports.postgresql,
      temporalAddress: this.temporalAddress,
      schemaRoot: serverTools.schemaRoot,
      listenerPort: ports.listener,
      simulatorPort: ports.simulator,
      uiPort: ports.ui,
      codecServerPort: ports.codecServer,
      volumes: clusterVolumes(options.dataDir),
    };
  }

  private service(name: string): ComposeService {
    return composeService(this.compose, name);
  }

  private logFile(name: string): string {
    return join(this.logs, `${name}.log`);
  }

  state(): ClusterState {
    const namespace = serviceEnvironment(
      this.service('temporal-create-namespace'),
      this.vars,
    ).TEMPORAL_NAMESPACE;
    return {
      runnerPid: process.pid,
      ready: this.ready,
      temporalVersion: this.serverTools.version,
      temporalAddress: this.temporalAddress,
      namespace: namespace ?? 'default',
      taskQueue: this.vars.TEMPORAL_TASK_QUEUE || 'tdg-email-append',
      simulatorUrl: this.simulatorUrl,
      listenerUrl: this.listenerUrl,
      prometheusUrl: this.prometheusUrl,
      uiUrl: this.uiUrl,
      codecServerUrl: this.codecServerUrl,
      tls: clusterTls(this.options.dataDir),
      dataDir: this.options.dataDir,
      processes: this.started.map((p) => p.view()),
    };
  }

  private writeState(): void {
    const path = join(this.options.dataDir, STATE_FILE);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(this.state(), null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
  }

  process(name: string): Supervised {
    const found = this.started.find((p) => p.spec.name === name);
    if (!found) throw new Error(`no process named ${name}`);
    return found;
  }

  private async launch(spec: ProcessSpec): Promise<Supervised> {
    const supervised = new Supervised(
      { restartDelayMs: this.options.restartDelayMs, ...spec },
      this.options.say,
      () => this.writeState(),
    );
    this.started.push(supervised);
    await supervised.start();
    const where = Object.entries(spec.endpoints ?? {})
      .map(([what, at]) => `${what} ${at}`)
      .join(', ');
    this.options.say(`${spec.name.padEnd(12)} pid ${supervised.pid ?? '?'}  ${where}`);
    return supervised;
  }

  /** The environment without its TEMPORAL_TLS_* variables when the bench asked for plaintext. */
  private tlsUnlessPlaintext(env: Record<string, string>): Record<string, string> {
    if (!this.options.plaintext) return env;
    return Object.fromEntries(Object.entries(env).filter(([key]) => !key.startsWith('TEMPORAL_TLS_')));
  }

  private baseEnv(): Record<string, string> {
    return { PATH: this.basePath, HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
  }

  /** A one-shot compose service of our image: its command, with its volumes as this stack's folders. */
  private async runNodeJob(name: string): Promise<void> {
    const service = this.service(name);
    await runJob(
      {
        name,
        command: process.execPath,
        args: nodeCommand(service).map((arg) => volumePath(service, arg, this.ctx.volumes)),
        env: { ...this.baseEnv() },
        cwd: PROJECT_ROOT,
        logFile: this.logFile(name),
      },
      60_000,
    );
  }

  async start(): Promise<void> {
    const { say, dataDir } = this.options;
    // Compose creates a named volume before the first container mounts it: so does this run.
    for (const dir of Object.values(this.ctx.volumes)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    await this.runNodeJob('tls-certificates');
    say(`tls-certificates: CA and certificates in ${this.ctx.volumes.tls}`);
    await this.runNodeJob('payload-keys');
    say(`payload-keys: the payload codec's keys in ${clusterPayloadKeysFile(dataDir)}`);
    const pgOptions = {
      tools: this.pgTools,
      dataDir: join(dataDir, 'pg'),
      port: this.ports.postgresql,
      user: String(this.service('postgresql').environment?.POSTGRES_USER ?? 'temporal'),
      password: this.secrets.postgresPassword,
      logFile: this.logFile('postgresql'),
    };
    if (initPostgres(pgOptions))
      say(`PostgreSQL ${this.pgTools.version}: new data folder ${pgOptions.dataDir}`);
    await this.launch(postgresProcess(pgOptions, PROJECT_ROOT));

    // temporal-schema-setup: the compose job's script, environment and schema files.
    const schemaJob = this.service('temporal-schema-setup');
    await runJob(
      {
        name: 'temporal-schema-setup',
        command: '/bin/sh',
        args: [entrypointScript(schemaJob)],
        env: {
          ...this.baseEnv(),
          ...schemaJobEnvironment(this.compose, this.ctx),
        },
        cwd: PROJECT_ROOT,
        logFile: this.logFile('temporal-schema-setup'),
      },
      300_000,
    );
    say('temporal-schema-setup: schemas temporal and temporal_visibility up to date');

    // One node at a time: on a fresh database, two servers starting together race to write the
    // cluster metadata and one of them exits (seen once in CI); later nodes join a running ring.
    for (const [index, nodePorts] of this.ports.nodes.entries()) {
      const frontend = `127.0.0.1:${nodePorts.FRONTEND_GRPC_PORT}`;
      await this.launch({
        name: `temporal-${index + 1}`,
        command: this.serverTools.server,
        // The image's entrypoint: `temporal-server start`, with BIND_ON_IP from the container's address.
        args: ['start'],
        env: {
          ...this.baseEnv(),
          ...this.tlsUnlessPlaintext(serverEnvironment(this.compose, this.ctx, nodePorts)),
        },
        cwd: dataDir,
        logFile: this.logFile(`temporal-${index + 1}`),
        stopSignal: 'SIGTERM',
        stopGraceMs: 20_000,
        ready: () => this.probe.serving(frontend),
        endpoints: {
          frontend,
          membership: `${nodePorts.FRONTEND_MEMBERSHIP_PORT}/${nodePorts.HISTORY_MEMBERSHIP_PORT}/${nodePorts.MATCHING_MEMBERSHIP_PORT}/${nodePorts.WORKER_MEMBERSHIP_PORT}`,
        },
      });
    }

    const namespaceJob = this.service('temporal-create-namespace');
    await runJob(
      {
        name: 'temporal-create-namespace',
        command: '/bin/sh',
        args: [entrypointScript(namespaceJob)],
        env: {
          ...this.baseEnv(),
          ...this.tlsUnlessPlaintext(namespaceJobEnvironment(this.compose, this.ctx)),
        },
        cwd: PROJECT_ROOT,
        logFile: this.logFile('temporal-create-namespace'),
      },
      300_000,
    );
    say(
      `temporal-create-namespace: namespace ${this.state().namespace} with ${SEARCH_ATTRIBUTE_NAMES.join(', ')}`,
    );
    if (!this.options.engineOnly) {
      await this.startUi();
      await this.startApplication();
      if (this.prometheus) await this.startPrometheus(this.prometheus);
    }
    this.ready = true;
    this.writeState();
  }

  private async startApplication(): Promise<void> {
    const { say } = this.options;
    const worker = this.service('worker');
    if (String(worker.environment?.NODE_ENV) === 'production' && !bundleIsFresh()) {
      say('building the workflow bundle (NODE_ENV=production loads it prebuilt, as in the image)');
      await runJob(
        {
          name: 'build-bundle',
          command: process.execPath,
          args: ['--import', 'tsx', 'src/bin/build-bundle.ts'],
          env: { ...this.baseEnv() },
          cwd: PROJECT_ROOT,
          logFile: this.logFile('build-bundle'),
        },
        300_000,
      );
    }
    // The application processes get the user's environment, as compose's env_file gives them .env.
    const userEnv = Object.fromEntries(
      Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const tdg: Record<string, string> = {};
    if (!this.vars.TDG_BASE_URL) {
      const simulator = this.service('simulator');
      tdg.TDG_API_KEY = this.secrets.tdgApiKey;
      tdg.TDG_USERNAME = this.secrets.tdgUsername;
      tdg.TDG_PASSWORD = this.secrets.tdgPassword;
      this.simulatorUrl = `http://127.0.0.1:${this.ports.simulator}`;
      await this.launch({
        name: 'simulator',
        command: process.execPath,
        args: nodeCommand(simulator),
        env: {
          ...userEnv,
          ...this.baseEnv(),
          ...tdg,
          ...simulatorEnvironment(this.compose, this.ctx),
        },
        cwd: PROJECT_ROOT,
        logFile: this.logFile('simulator'),
        stopGraceMs: 10_000,
        ready: () => httpOk(`${this.simulatorUrl ?? ''}/_sim/stats`),
        endpoints: { 'TDG API': this.simulatorUrl },
      });
      tdg.TDG_BASE_URL = this.simulatorUrl;
    }
    const notify = {
      NOTIFY_SECRET: this.vars.NOTIFY_SECRET || this.secrets.notifySecret,
      NOTIFY_PUBLIC_URL: this.vars.NOTIFY_PUBLIC_URL || `${this.listenerUrl}/notifications`,
    };
    const listener = this.service('listener');
    await this.launch({
      name: 'listener',
      command: process.execPath,
      args: nodeCommand(listener),
      env: {
        ...userEnv,
        ...this.baseEnv(),
        ...notify,
        ...listenerEnvironment(this.compose, this.ctx),
      },
      cwd: PROJECT_ROOT,
      logFile: this.logFile('listener'),
      stopGraceMs: parseDuration(listener.stop_grace_period ?? '10s'),
      ready: () => httpOk(`${this.listenerUrl}/healthz`),
      endpoints: { notifications: notify.NOTIFY_PUBLIC_URL },
    });
    const codecServer = this.service('codec-server');
    this.codecServerUrl = `http://127.0.0.1:${this.ports.codecServer}`;
    await this.launch({
      name: 'codec-server',
      command: process.execPath,
      args: nodeCommand(codecServer),
      env: { ...userEnv, ...this.baseEnv(), ...codecServerEnvironment(this.compose, this.ctx) },
      cwd: PROJECT_ROOT,
      logFile: this.logFile('codec-server'),
      stopGraceMs: parseDuration(codecServer.stop_grace_period ?? '10s'),
      ready: () => httpOk(`${this.codecServerUrl ?? ''}/healthz`),
      endpoints: { 'codec server': this.codecServerUrl },
    });
    await Promise.all(
      this.ports.workers.map((workerPorts, index) =>
        this.launch({
          name: `worker-${index + 1}`,
          command: process.execPath,
          args: nodeCommand(worker),
          env: {
            ...userEnv,
            ...this.baseEnv(),
            ...tdg,
            ...notify,
            ...workerEnvironment(this.compose, this.ctx, workerPorts),
          },
          cwd: PROJECT_ROOT,
          logFile: this.logFile(`worker-${index + 1}`),
          stopGraceMs: parseDuration(worker.stop_grace_period ?? '30s'),
          ready: () => httpOk(`http://127.0.0.1:${workerPorts.health}/healthz`),
          endpoints: {
            health: `http://127.0.0.1:${workerPorts.health}/healthz`,
            metrics: `http://127.0.0.1:${workerPorts.metrics}/metrics`,
          },
        }),
      ),
    );
  }

  /** temporal-ui: the image's `ui-server --env docker start`, when the UI server builds here. */
  private async startUi(): Promise<void> {
    let ui: UiTools;
    try {
      ui = provisionUiServer({ say: this.options.say });
    } catch (err) {
      this.options.say(`Web UI unavailable: ${(err as Error).message}`);
      return;
    }
    this.uiUrl = `http://127.0.0.1:${this.ports.ui}`;
    await this.launch({
      name: 'temporal-ui',
      command: ui.server,
      args: ['--root', ui.root, '--env', 'docker', 'start'],
      env: { ...this.baseEnv(), ...uiEnvironment(this.compose, this.ctx) },
      cwd: ui.root,
      logFile: this.logFile('temporal-ui'),
      stopGraceMs: 10_000,
      ready: () => httpOk(`${this.uiUrl ?? ''}/`),
      endpoints: { 'Web UI': this.uiUrl },
    });
  }

  /** Scrapes every worker's /metrics with deploy/prometheus/alerts.yml loaded. */
  private async startPrometheus(tools: PrometheusTools): Promise<void> {
    const dir = join(this.options.dataDir, 'prometheus');
    mkdirSync(join(dir, 'data'), { recursive: true });
    const config = {
      global: { scrape_interval: '5s', evaluation_interval: '5s' },
      rule_files: [ALERT_RULES_PATH],
      scrape_configs: [
        {
          job_name: 'tdg-worker',
          static_configs: [{ targets: this.ports.workers.map((w) => `127.0.0.1:${w.metrics}`) }],
        },
      ],
    };
    writeFileSync(join(dir, 'prometheus.yml'), stringifyYaml(config));
    this.prometheusUrl = `http://127.0.0.1:${this.ports.prometheus}`;
    await this.launch({
      name: 'prometheus',
      command: tools.prometheus,
      args: [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${this.ports.prometheus}`,
      ],
      env: { ...this.baseEnv() },
      cwd: dir,
      logFile: this.logFile('prometheus'),
      stopGraceMs: 10_000,
      ready: () => httpOk(`${this.prometheusUrl ?? ''}/-/ready`),
      endpoints: { web: this.prometheusUrl, rules: relative(PROJECT_ROOT, ALERT_RULES_PATH) },
    });
  }

  async stop(): Promise<void> {
    this.ready = false;
    for (const supervised of [...this.started].reverse()) {
      await supervised.stop().catch(() => undefined);
    }
    await this.probe.close();
    this.writeState();
  }
}

/** Where things are, for the console. */
export function describeCluster(state: ClusterState): string[] {
  const rel = (path: string): string => {
    const short = relative(process.cwd(), path);
    return short && !short.startsWith('..') ? short : path;
  };
  return [
    `Temporal ${state.temporalVersion} on ${state.temporalAddress} (namespace ${state.namespace}), ${state.processes.filter((p) => /^temporal-\d+$/.test(p.name)).length} server process(es) in one ring`,
    ...(state.uiUrl ? [`Web UI ${state.uiUrl}`] : []),
    ...(state.codecServerUrl
      ? [
          `codec server ${state.codecServerUrl}: job data is encrypted; sign in at ${state.codecServerUrl}/login with the codecServerToken of ${rel(join(state.dataDir, 'secrets.json'))} to read it in the Web UI`,
        ]
      : []),
    `logs in ${rel(join(state.dataDir, 'logs'))}/, state in ${rel(join(state.dataDir, STATE_FILE))}`,
    'Temporal requires a client certificate (mutual TLS); for the temporal CLI, npm run job and npm run setup:',
    ...Object.entries(clusterClientEnv(state)).map(([name, value]) => `  export ${name}=${value}`),
    `try: npm run job -- start --name "My Job" --wait`,
    'Ctrl-C stops everything (data is kept; --reset starts from an empty database)',
  ];
}
