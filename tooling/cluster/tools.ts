/**
 * The production engine's binaries, provisioned into `.tools/` once per version:
 *
 *   - `temporal-server` and `temporal-sql-tool`, built with `go install` from the Go module proxy
 *     (the same sources as the temporalio/server and admin-tools images; about 5 minutes on 2 cores
 *     the first time, then Go's module and build caches make a rebuild a matter of seconds);
 *   - the PostgreSQL schema files, from that module in Go's module cache;
 *   - PostgreSQL itself: Debian's package (`apt-get install postgresql`) when it is absent.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { isExecutable, onPath } from '../../src/platform/executables.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';

/** The one Temporal server version: built here, and the tag of docker-compose.yml's images. */
export const TEMPORAL_SERVER_VERSION = '1.31.2';
const MODULE = 'go.temporal.io/server';
const PACKAGES = { 'temporal-server': 'cmd/server', 'temporal-sql-tool': 'cmd/tools/sql' } as const;

export type ServerBinary = keyof typeof PACKAGES;

export const TOOLS_DIR = join(PROJECT_ROOT, '.tools');

export interface ServerTools {
  version: string;
  /** Holds `temporal-server` and `temporal-sql-tool`: put it on PATH for deploy/temporal/*.sh. */
  binDir: string;
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12` of the module: SCHEMA_ROOT for setup-postgres.sh. */
  schemaRoot: string;
}

export interface PostgresTools {
  /** Folder with initdb, postgres and pg_isready. */
  binDir: string;
  version: string;
}

export class ToolsError extends Error {
  override name = 'ToolsError';
}

export function serverToolsDir(version = TEMPORAL_SERVER_VERSION): string {
  return join(TOOLS_DIR, `temporal-server-${version}`, 'bin');
}

/** The server's embedded config template, copied next to the binaries for reference and checks. */
export function serverConfigTemplate(version = TEMPORAL_SERVER_VERSION): string {
  return join(TOOLS_DIR, `temporal-server-${version}`, 'config_template_embedded.yaml');
}

/** The schema files copied next to the binaries (what admin-tools has in /etc/temporal/schema). */
export function serverSchemaRoot(version = TEMPORAL_SERVER_VERSION): string {
  return join(TOOLS_DIR, `temporal-server-${version}`, 'schema', 'postgresql', 'v12');
}

function goBinary(): string {
  const go = onPath('go') ?? ['/usr/local/go/bin/go', '/usr/lib/go/bin/go'].find(isExecutable);
  if (!go) {
    throw new ToolsError(
      `Go is needed once to build temporal-server ${TEMPORAL_SERVER_VERSION} (https://go.dev/dl/, or apt-get install golang)`,
    );
  }
  return go;
}

function goEnv(go: string, name: string): string {
  const result = spawnSync(go, ['env', name], { encoding: 'utf8' });
  if (result.status !== 0) throw new ToolsError(`go env ${name} failed: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The module's folder in Go's module cache, downloading it when absent. */
function moduleDir(go: string, version: string): string {
  const dir = join(goEnv(go, 'GOMODCACHE'), `${MODULE}@v${version}`);
  if (existsSync(join(dir, 'schema'))) return dir;
  const result = spawnSync(go, ['mod', 'download', `${MODULE}@v${version}`], {
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (result.status !== 0 || !existsSync(join(dir, 'schema'))) {
    throw new ToolsError(`go mod download ${MODULE}@v${version} failed: ${lastLine(result.stderr)}`);
  }
  return dir;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

export interface ProvisionOptions {
  version?: string;
  /** Progress lines (the build takes minutes the first time). */
  say?: (line: string) => void;
}

/**
 * Finds or builds temporal-server and temporal-sql-tool for `version` in `.tools/`. The build runs
 * under `nice` so that it does not starve other work, with Go's default caches, into a private
 * GOBIN that is renamed into place: an interrupted build never leaves half a tools folder.
 */
export function provisionServerTools(options: ProvisionOptions = {}): ServerTools {
  const version = options.version ?? TEMPORAL_SERVER_VERSION;
  const say = options.say ?? (() => undefined);
  const binDir = serverToolsDir(version);
  const server = join(binDir, 'temporal-server');
  const sqlTool = join(binDir, 'temporal-sql-tool');
  const schemaRoot = serverSchemaRoot(version);
  if (!isExecutable(server) || !isExecutable(sqlTool)) {
    const go = goBinary();
    const staging = `${binDir}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const started = Date.now();
    say(
      `building temporal-server and temporal-sql-tool ${version} with ${go} (about 5 minutes on 2 cores without Go's build cache)`,
    );
    const targets = Object.values(PACKAGES).map((pkg) => `${MODULE}/${pkg}@v${version}`);
    const nice = onPath('nice');
    const [command, args] = nice
      ? [nice, ['-n', '10', go, 'install', ...targets]]
      : [go, ['install', ...targets]];
    const result = spawnSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      // GOTOOLCHAIN=local: the machine's Go or a clear error, never a toolchain download.
      env: { ...process.env, GOBIN: staging, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) {
      rmSync(staging, { recursive: true, force: true });
      throw new ToolsError(`go install ${targets.join(' ')} failed: ${lastLine(result.stderr)}`);
    }
    // Both commands install under their folder names (server, sql): rename them.
    renameSync(join(staging, 'server'), join(staging, 'temporal-server'));
    renameSync(join(staging, 'sql'), join(staging, 'temporal-sql-tool'));
    rmSync(binDir, { recursive: true, force: true });
    mkdirSync(join(binDir, '..'), { recursive: true });
    renameSync(staging, binDir);
    say(`built in ${Math.round((Date.now() - started) / 1000)}s: ${binDir}`);
  }
  if (!existsSync(join(schemaRoot, 'temporal', 'versioned')) || !existsSync(serverConfigTemplate(version))) {
    const module = moduleDir(goBinary(), version);
    cpSync(join(module, 'common', 'config', 'config_template_embedded.yaml'), serverConfigTemplate(version));
    const source = join(module, 'schema', 'postgresql', 'v12');
    const staging = `${schemaRoot}.${process.pid}.tmp`;
    cpSync(source, staging, { recursive: true });
    // The module cache is read-only; the copy need not be.
    spawnSync('chmod', ['-R', 'u+w', staging]);
    rmSync(schemaRoot, { recursive: true, force: true });
    renameSync(staging, schemaRoot);
  }
  return { version, binDir, server, sqlTool, schemaRoot };
}

const PG_ROOT = '/usr/lib/postgresql';

/** Debian's layout: /usr/lib/postgresql/<major>/bin, the newest major first. */
export function findPostgres(): PostgresTools | undefined {
  if (!existsSync(PG_ROOT)) return undefined;
  const majors = readdirSync(PG_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  for (const major of majors) {
    const binDir = join(PG_ROOT, major, 'bin');
    if (['initdb', 'postgres', 'pg_isready'].every((cmd) => isExecutable(join(binDir, cmd)))) {
      return { binDir, version: major };
    }
  }
  return undefined;
}

/** PostgreSQL from Debian's package when absent (as root), or a clear error saying what to install. */
export function provisionPostgres(options: ProvisionOptions = {}): PostgresTools {
  const found = findPostgres();
  if (found) return found;
  const say = options.say ?? (() => undefined);
  const apt = onPath('apt-get');
  if (!apt || process.getuid?.() !== 0) {
    throw new ToolsError(
      'PostgreSQL is not installed: run `apt-get install postgresql` as root (the server binaries are expected in /usr/lib/postgresql/<major>/bin)',
    );
  }
  say('installing PostgreSQL with apt-get (Debian package postgresql)');
  const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): ReturnType<typeof spawnSync> =>
    spawnSync(apt, ['install', '-y', '--no-install-recommends', 'postgresql'], {
      env: aptEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
  let result = install();
  if (result.status !== 0) {
    spawnSync(apt, ['update'], { env: aptEnv, stdio: 'ignore' });
    result = install();
  }
  const installed = findPostgres();
  if (result.status !== 0 || !installed) {
    throw new ToolsError(`apt-get install postgresql failed: ${lastLine(String(result.stderr))}`);
  }
  return installed;
}

export interface PrometheusTools {
  prometheus: string;
  promtool: string;
}

export const PROMETHEUS_DIR = join(TOOLS_DIR, 'prometheus');

/** Already on PATH or unpacked in .tools/prometheus (no download). */
export function findPrometheus(): PrometheusTools | undefined {
  const local = join(PROMETHEUS_DIR, 'usr', 'bin');
  for (const dir of [undefined, local]) {
    const prometheus = dir ? join(dir, 'prometheus') : onPath('prometheus');
    const promtool = dir ? join(dir, 'promtool') : onPath('promtool');
    if (prometheus && promtool && isExecutable(prometheus) && isExecutable(promtool))
      return { prometheus, promtool };
  }
  return undefined;
}

/**
 * Prometheus and promtool from Debian's `prometheus` package, unpacked into .tools/prometheus
 * (`apt-get download` + `dpkg -x`: no service is installed or started).
 */
export function provisionPrometheus(options: ProvisionOptions = {}): PrometheusTools {
  const found = findPrometheus();
  if (found) return found;
  const apt = onPath('apt-get');
  const dpkg = onPath('dpkg');
  if (!apt || !dpkg) throw new ToolsError("Prometheus is not installed: install Debian's prometheus package");
  options.say?.("unpacking Debian's prometheus package into .tools/prometheus");
  const staging = `${PROMETHEUS_DIR}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    let download = spawnSync(apt, ['download', 'prometheus'], { cwd: staging, encoding: 'utf8' });
    if (download.status !== 0) {
      spawnSync(apt, ['update'], { stdio: 'ignore' });
      download = spawnSync(apt, ['download', 'prometheus'], { cwd: staging, encoding: 'utf8' });
    }
    const deb = readdirSync(staging).find((file) => file.endsWith('.deb'));
    if (download.status !== 0 || !deb) {
      throw new ToolsError(`apt-get download prometheus failed: ${lastLine(download.stderr)}`);
    }
    const unpack = spawnSync(dpkg, ['-x', join(staging, deb), staging], { encoding: 'utf8' });
    if (unpack.status !== 0) throw new ToolsError(`dpkg -x failed: ${lastLine(unpack.stderr)}`);
    rmSync(join(staging, deb));
    rmSync(PROMETHEUS_DIR, { recursive: true, force: true });
    renameSync(staging, PROMETHEUS_DIR);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const installed = findPrometheus();
  if (!installed) throw new ToolsError('the prometheus package held no prometheus/promtool binaries');
  return installed;
}

/** The Web UI: temporalio/ui's server, built from the same module as that image. */
export const TEMPORAL_UI_VERSION = '2.55.0';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface UiTools {
  version: string;
  server: string;
  /** --root for `ui-server --env docker start`: holds config/base.yaml and config/docker.yaml. */
  root: string;
}

export function uiToolsDir(version = TEMPORAL_UI_VERSION): string {
  return join(TOOLS_DIR, `temporal-ui-${version}`);
}

/**
 * Finds or builds the UI server into .tools/temporal-ui-<version>/ (bin/ui-server, config/): the
 * image's config/docker.yaml as is, and its base.yaml plus `host: 127.0.0.1` (the container
 * listens on every interface behind compose's 127.0.0.1 port mapping; natively loopback does that).
 */
export function provisionUiServer(options: ProvisionOptions = {}): UiTools {
  const version = TEMPORAL_UI_VERSION;
  const root = uiToolsDir(version);
  const server = join(root, 'bin', 'ui-server');
  if (isExecutable(server) && existsSync(join(root, 'config', 'docker.yaml')))
    return { version, server, root };
  const go = goBinary();
  const staging = `${root}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  try {
    options.say?.(`building the Temporal UI server ${version} with ${go} (about 2 minutes the first time)`);
    const target = `${UI_MODULE}/cmd/server@v${version}`;
    const nice = onPath('nice');
    const [command, args] = nice ? [nice, ['-n', '10', go, 'install', target]] : [go, ['install', target]];
    const result = spawnSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, GOBIN: join(staging, 'bin'), GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.status !== 0) throw new ToolsError(`go install ${target} failed: ${lastLine(result.stderr)}`);
    renameSync(join(staging, 'bin', 'server'), join(staging, 'bin', 'ui-server'));
    const module = join(goEnv(go, 'GOMODCACHE'), `${UI_MODULE}@v${version}`);
    mkdirSync(join(staging, 'config'));
    cpSync(join(module, 'config', 'docker.yaml'), join(staging, 'config', 'docker.yaml'));
    const base = readFileSync(join(module, 'config', 'base.yaml'), 'utf8');
    writeFileSync(join(staging, 'config', 'base.yaml'), `${base.trimEnd()}\nhost: 127.0.0.1\n`);
    spawnSync('chmod', ['-R', 'u+w', staging]);
    rmSync(root, { recursive: true, force: true });
    renameSync(staging, root);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { version, server, root };
}
