import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listenerSection, loadListenerConfig } from '../src/listener/config.js';
import { notifySection, notifySecretsSection } from '../src/platform/env/notify.js';
import { payloadCodecSection } from '../src/platform/env/codec.js';
import { codecServerSection } from '../src/codec-server/config.js';
import { nexusEndpointSection } from '../src/cli/nexus-endpoint.js';
import { ConfigError, variableDefaults, variableNames } from '../src/platform/env/schema.js';
import {
  DEFAULT_TEMPORAL_ADDRESS,
  DEFAULT_TEMPORAL_NAMESPACE,
  loadClientConfig,
  temporalSection,
} from '../src/platform/env/temporal.js';
import { loadSimulatorConfig, SimulatorConfigError, simulatorSection } from '../tooling/simulator/config.js';
import { TDG_REQUESTS_PER_ATTEMPT } from '../src/tdg/index.js';
import {
  limitsSection,
  loadWorkerConfig,
  operationsSection,
  tdgSection,
  workflowCodeSection,
} from '../src/worker/config.js';
import { TDG_ATTEMPT_TIMEOUT_MS } from '../src/contract/index.js';
import { DEFAULT_MAX_SOCKETS, keepAliveAgents } from '../src/tdg/http.js';
import { TDG_ATTEMPT_TIMEOUT } from '../workflows/tdg-activity-options.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { connectionOptions, describeConnectionSecurity } from '../src/platform/temporal-connection.js';

const SECRET = 's'.repeat(40);
const SECTIONS = [
  temporalSection,
  tdgSection,
  notifySection,
  notifySecretsSection,
  limitsSection,
  operationsSection,
  workflowCodeSection,
  listenerSection,
  simulatorSection,
  payloadCodecSection,
  codecServerSection,
  nexusEndpointSection,
];
/** Every variable some process's configuration reads. */
const KNOWN_VARIABLES = variableNames(...SECTIONS).sort();
const base = { TDG_API_KEY: 'key-123', TDG_AUTH_TOKEN: 'token-abc' };

function problems(env: Record<string, string>): string[] {
  try {
    loadWorkerConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('worker configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadWorkerConfig(base);
    expect(config.temporal).toEqual({
      address: 'localhost:7233',
      namespace: 'default',
      taskQueue: 'tdg-email-append',
    });
    expect(config.tdg.baseUrl).toBe('https://api.thedatagroup.com');
    expect(config.tdg.apiVersion).toBe('v3');
    expect(config.tdg.auth).toEqual({ kind: 'static', token: 'token-abc' });
    expect(config.notify).toBeNull();
  });

  it('accepts username and password instead of a token', () => {
    const config = loadWorkerConfig({ TDG_API_KEY: 'k', TDG_USERNAME: 'u', TDG_PASSWORD: 'p' });
    expect(config.tdg.auth).toMatchObject({ kind: 'password', username: 'u', tokenTtlMs: 8 * 3_600_000 });
  });

  it('reports every problem at once, without echoing secrets', () => {
    const found = problems({
      TDG_BASE_URL: 'ftp://x',
      TDG_API_VERSION: 'three',
      NOTIFY_PUBLIC_URL: 'http://example.com/notifications',
      NOTIFY_SECRET: 'too-short-secret',
      TDG_MAX_CALLS_PER_SECOND: '-1',
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/TDG_API_KEY is required/),
        expect.stringMatching(/TDG_AUTH_TOKEN, or both TDG_USERNAME and TDG_PASSWORD/),
        expect.stringMatching(/TDG_BASE_URL must be an http\(s\) URL/),
        expect.stringMatching(/TDG_API_VERSION/),
        expect.stringMatching(/NOTIFY_SECRET must be at least 32 bytes \(it has 16\)/),
        expect.stringMatching(/NOTIFY_PUBLIC_URL must use https/),
        expect.stringMatching(/TDG_MAX_CALLS_PER_SECOND/),
      ]),
    );
    expect(found.join('\n')).not.toContain('too-short-secret');
  });

  it('allows http notification URLs only on loopback', () => {
    const ok = loadWorkerConfig({
      ...base,
      NOTIFY_PUBLIC_URL: 'http://127.0.0.1:8788/notifications/',
      NOTIFY_SECRET: SECRET,
    });
    expect(ok.notify?.publicUrl).toBe('http://127.0.0.1:8788/notifications');
    expect(problems({ ...base, NOTIFY_PUBLIC_URL: 'https://hooks.example.com/n' })).toEqual([
      expect.stringMatching(/must be set together/),
    ]);
  });
});

describe("the worker version: ours, or the Temporal Worker Controller's", () => {
  const controller = {
    TEMPORAL_DEPLOYMENT_NAME: 'tdg/tdg-worker',
    TEMPORAL_WORKER_BUILD_ID: 'tdg-email-append-1.2.0-5d8c7b9f4',
  };

  it('uses WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID without the controller (compose, npm run cluster, npm run worker)', () => {
    expect(loadWorkerConfig(base).deployment).toEqual({
      deploymentName: 'tdg-email-append',
      buildId: undefined,
      promote: false,
      managedBy: 'self',
    });
    const ours = {
      ...base,
      WORKER_DEPLOYMENT_NAME: 'mine',
      WORKER_BUILD_ID: 'release-2',
      WORKER_PROMOTE: 'true',
    };
    expect(loadWorkerConfig(ours).deployment).toEqual({
      deploymentName: 'mine',
      buildId: 'release-2',
      promote: true,
      managedBy: 'self',
    });
  });

  it("takes the controller's deployment name and build id over ours, and leaves promotion to it", () => {
    const config = loadWorkerConfig({
      ...base,
      ...controller,
      WORKER_DEPLOYMENT_NAME: 'mine',
      WORKER_BUILD_ID: 'release-2',
    });
    expect(config.deployment).toEqual({
      deploymentName: 'tdg/tdg-worker',
      buildId: 'tdg-email-append-1.2.0-5d8c7b9f4',
      promote: false,
      managedBy: 'worker-controller',
    });
  });

  it("connects where the controller's injected variables say (address, namespace, API key)", () => {
    const config = loadWorkerConfig({
      ...base,
      ...controller,
      TEMPORAL_ADDRESS: 'tdg.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'tdg.a1b2c',
      TEMPORAL_API_KEY: 'api-key-from-secret',
    });
    expect(config.temporal).toMatchObject({ address: 'tdg.a1b2c.tmprl.cloud:7233', namespace: 'tdg.a1b2c' });
    expect(config.temporalSecurity.apiKey).toBe('api-key-from-secret');
  });

  it("reads the controller's mTLS variables (TEMPORAL_TLS, the mounted key pair, the server name)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'controller-tls-'));
    try {
      writeFileSync(join(dir, 'tls.crt'), '-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n');
      writeFileSync(join(dir, 'tls.key'), '-----BEGIN PRIVATE KEY-----\nMA==\n-----END PRIVATE KEY-----\n');
      const config = loadWorkerConfig({
        ...base,
        ...controller,
        TEMPORAL_ADDRESS: 'temporal-frontend.temporal.svc:7233',
        TEMPORAL_TLS: 'true',
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'tls.crt'),
        TEMPORAL_TLS_CLIENT_KEY_PATH: join(dir, 'tls.key'),
        TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
      });
      const tls = config.temporalSecurity.tls;
      if (typeof tls !== 'object') throw new Error(`expected a TLS configuration, got ${String(tls)}`);
      expect(tls.serverNameOverride).toBe('temporal.internal');
      expect(Buffer.from(tls.clientCertPair?.crt ?? '').toString()).toContain('BEGIN CERTIFICATE');
      expect(Buffer.from(tls.clientCertPair?.key ?? '').toString()).toContain('BEGIN PRIVATE KEY');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses WORKER_PROMOTE=true under the controller, and one of its two variables without the other', () => {
    expect(problems({ ...base, ...controller, WORKER_PROMOTE: 'true' })).toEqual([
      expect.stringMatching(
        /^WORKER_PROMOTE=true contradicts TEMPORAL_DEPLOYMENT_NAME: .*controller promotes/,
      ),
    ]);
    expect(problems({ ...base, TEMPORAL_DEPLOYMENT_NAME: 'tdg/tdg-worker' })).toEqual([
      expect.stringMatching(/TEMPORAL_DEPLOYMENT_NAME and TEMPORAL_WORKER_BUILD_ID must be set together/),
    ]);
    expect(problems({ ...base, TEMPORAL_WORKER_BUILD_ID: 'b1' })).toEqual([
      expect.stringMatching(/must be set together/),
    ]);
  });

  it("checks the controller's values: a dot in the deployment name, a space in the build id", () => {
    expect(
      problems({ ...base, TEMPORAL_DEPLOYMENT_NAME: 'tdg.worker', TEMPORAL_WORKER_BUILD_ID: 'a b' }),
    ).toEqual([
      expect.stringMatching(/^TEMPORAL_DEPLOYMENT_NAME must be 1-255 letters, digits/),
      expect.stringMatching(/^TEMPORAL_WORKER_BUILD_ID must be 1-200 letters/),
    ]);
  });
});

describe('worker limits agree with one activity attempt', () => {
  const attempt = TDG_ATTEMPT_TIMEOUT_MS;

  it('the defaults agree: grace covers an attempt, the worst-case requests fit in one, a socket per slot', () => {
    const config = loadWorkerConfig(base);
    expect(attempt).toBe(30_000);
    expect(TDG_ATTEMPT_TIMEOUT).toBe(attempt); // the workflow's activities use the same value
    expect(config.operations.shutdownGraceMs).toBe(45_000);
    expect(config.operations.shutdownGraceMs).toBeGreaterThanOrEqual(attempt);
    expect(config.tdg.requestTimeoutMs).toBe(7_000);
    expect(config.tdg.requestTimeoutMs * TDG_REQUESTS_PER_ATTEMPT).toBeLessThanOrEqual(attempt);
    expect(config.limits.maxConcurrentActivities).toBe(100);
    expect(config.tdg.maxSockets).toBe(100);
  });

  it('sizes the TDG HTTP pool from the activity slots', () => {
    const config = loadWorkerConfig({ ...base, WORKER_MAX_CONCURRENT_ACTIVITIES: '250' });
    expect(config.limits.maxConcurrentActivities).toBe(250);
    expect(config.tdg.maxSockets).toBe(250);
    const agents = keepAliveAgents(config.tdg.maxSockets);
    expect(agents.http.maxSockets).toBe(250);
    expect(agents.https.maxSockets).toBe(250);
    expect(keepAliveAgents(250)).toBe(agents); // one pool per process, shared by the client and the token provider
    expect(keepAliveAgents().http.maxSockets).toBe(DEFAULT_MAX_SOCKETS);
    expect(problems({ ...base, WORKER_MAX_CONCURRENT_ACTIVITIES: '2.5' })).toEqual([
      'WORKER_MAX_CONCURRENT_ACTIVITIES must be a whole number from 1 to 10000 (got "2.5")',
    ]);
    expect(problems({ ...base, WORKER_MAX_CONCURRENT_ACTIVITIES: '0' })).toHaveLength(1);
  });

  it('refuses a grace shorter than an attempt and request timeouts that cannot fit, together with other problems', () => {
    expect(
      problems({
        ...base,
        WORKER_SHUTDOWN_GRACE: '20s',
        TDG_REQUEST_TIMEOUT: '15s',
        TDG_API_VERSION: 'three',
      }),
    ).toEqual([
      expect.stringMatching(/^TDG_API_VERSION/),
      'TDG_REQUEST_TIMEOUT (15s) × 4 requests one activity attempt can make (token, call, and both again ' +
        'after a 401) = 1m must fit inside the activity attempt timeout (30s): set it to 7500ms or less',
      'WORKER_SHUTDOWN_GRACE (20s) must be at least the activity attempt timeout (30s), so that a ' +
        'stopping worker lets in-flight attempts finish instead of cancelling them',
    ]);
    // 10 s, the old 15 s halved, still does not fit: four requests can follow one another.
    expect(problems({ ...base, TDG_REQUEST_TIMEOUT: '10s' })).toEqual([
      expect.stringContaining('TDG_REQUEST_TIMEOUT (10s) × 4 requests'),
    ]);
    expect(problems({ ...base, TDG_REQUEST_TIMEOUT: '7501ms' })).toEqual([
      expect.stringContaining(
        '(7501ms) × 4 requests one activity attempt can make (token, call, and both again after a 401) = 30004ms',
      ),
    ]);
  });

  it('accepts the limits exactly at the boundary', () => {
    const config = loadWorkerConfig({ ...base, WORKER_SHUTDOWN_GRACE: '30s', TDG_REQUEST_TIMEOUT: '7500ms' });
    expect(config.operations.shutdownGraceMs).toBe(attempt);
    expect(config.tdg.requestTimeoutMs * TDG_REQUESTS_PER_ATTEMPT).toBe(attempt);
    expect(problems({ ...base, WORKER_SHUTDOWN_GRACE: '29999ms' })).toEqual([
      expect.stringContaining('WORKER_SHUTDOWN_GRACE (29999ms) must be at least'),
    ]);
  });
});

describe('simulator configuration', () => {
  it('reports every problem at once, on one line', () => {
    let error: unknown;
    try {
      loadSimulatorConfig({ SIM_ERROR_RATE: 'lots', SIMULATOR_PORT: '70000', SIM_TRAILING_COMMA: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SimulatorConfigError);
    expect(error).toBeInstanceOf(ConfigError);
    const { message, problems } = error as SimulatorConfigError;
    expect(problems).toEqual([
      'SIM_ERROR_RATE must be a number from 0 to 1 (got "lots")',
      'SIM_TRAILING_COMMA must be true or false, got "maybe"',
      'SIMULATOR_PORT must be a whole number from 0 to 65535 (got "70000")',
      'SIM_API_KEY (or TDG_API_KEY) is required: the x-api-key the simulator accepts',
      expect.stringMatching(/^no way to authenticate/),
    ]);
    expect(message).not.toContain('\n');
  });
});

describe('Temporal connection settings (TEMPORAL_*, through @temporalio/envconfig)', () => {
  const withConfigFile = (toml: string, test: (file: string, dir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'envconfig-'));
    try {
      const file = join(dir, 'temporal.toml');
      writeFileSync(file, toml);
      test(file, dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const problemsOf = (load: () => unknown): string[] => {
    try {
      load();
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('defaults to localhost:7233 and namespace default; empty values count as unset', () => {
    expect(
      loadClientConfig({
        TEMPORAL_ADDRESS: '',
        TEMPORAL_NAMESPACE: ' ',
        TEMPORAL_API_KEY: '',
        PAYLOAD_CODEC_KEYS: ' ',
      }),
    ).toEqual({
      temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'tdg-email-append' },
      temporalSecurity: {},
      codecKeys: null,
    });
  });

  it('reads a profile from the TOML config file; the environment wins over the file', () => {
    const toml = [
      '[profile.default]',
      'address = "default.example:7233"',
      '[profile.cloud]',
      'address = "ns.a1b2c.tmprl.cloud:7233"',
      'namespace = "ns.a1b2c"',
      'api_key = "key-from-file"',
      '[profile.cloud.grpc_meta]',
      'x-team = "tdg"',
    ].join('\n');
    withConfigFile(toml, (file) => {
      expect(loadClientConfig({ TEMPORAL_CONFIG_FILE: file }).temporal.address).toBe('default.example:7233');
      const cloud = loadClientConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'cloud' });
      expect(cloud.temporal).toMatchObject({ address: 'ns.a1b2c.tmprl.cloud:7233', namespace: 'ns.a1b2c' });
      expect(cloud.temporalSecurity).toEqual({
        apiKey: 'key-from-file',
        tls: true,
        metadata: { 'x-team': 'tdg' },
      });
      expect(describeConnectionSecurity(cloud.temporalSecurity)).toBe('TLS + API key');
      expect(connectionOptions(cloud, { connectTimeoutMs: 5_000 })).toEqual({
        address: 'ns.a1b2c.tmprl.cloud:7233',
        apiKey: 'key-from-file',
        tls: true,
        metadata: { 'x-team': 'tdg' },
        connectTimeout: 5_000,
      });
      const overridden = loadClientConfig({
        TEMPORAL_CONFIG_FILE: file,
        TEMPORAL_PROFILE: 'cloud',
        TEMPORAL_NAMESPACE: 'other',
        TEMPORAL_TLS: 'false',
      });
      expect(overridden.temporal.namespace).toBe('other');
      expect(overridden.temporalSecurity).toMatchObject({ tls: false });
    });
  });

  it('finds the default config file under $HOME like the Temporal CLI', () => {
    withConfigFile('', (_file, dir) => {
      const home = join(dir, 'home');
      const configDir = join(home, '.config', 'temporalio');
      mkdirSync(configDir, { recursive: true });
      writeFileSync(join(configDir, 'temporal.toml'), '[profile.default]\nnamespace = "from-home"\n');
      expect(loadClientConfig({ HOME: home }).temporal.namespace).toBe('from-home');
    });
  });

  // Once a malformed address passed the configuration and failed only when connecting: exit 5
  // ("Temporal unreachable") for what is a typo in the configuration (exit 2).
  it('refuses a malformed address as configuration, from the environment or the config file', () => {
    for (const address of [
      'http://localhost:7233',
      'localhost:abc',
      'localhost:99999',
      ':7233',
      'local host:7233',
    ])
      expect(problemsOf(() => loadClientConfig({ TEMPORAL_ADDRESS: address }))).toEqual([
        `TEMPORAL_ADDRESS must be host:port (e.g. localhost:7233 or temporal.example.com:7233, no scheme), got "${address}"`,
      ]);
    for (const address of [
      'localhost',
      'localhost:7233',
      '10.0.0.5:7233',
      '[::1]:7233',
      'ns.acct.tmprl.cloud:7233',
      'temporal_server:7233',
    ])
      expect(loadClientConfig({ TEMPORAL_ADDRESS: address }).temporal.address).toBe(address);
    withConfigFile('[profile.default]\naddress = "https://temporal.example.com"\n', (file) => {
      expect(problemsOf(() => loadClientConfig({ TEMPORAL_CONFIG_FILE: file }))).toEqual([
        expect.stringMatching(
          /^the Temporal config file's address must be host:port .*got "https:\/\/temporal\.example\.com"$/,
        ),
      ]);
    });
  });

  it('reports a missing file, an unknown profile and bad TOML without echoing the file', () => {
    const secret = 'key-that-must-not-leak';
    withConfigFile(`[profile.default]\napi_key = "${secret}"\naddress = \n`, (file, dir) => {
      const bad = problemsOf(() => loadClientConfig({ TEMPORAL_CONFIG_FILE: file }));
      expect(bad).toEqual([expect.stringMatching(/^Temporal config file ".*temporal\.toml": Invalid TOML/)]);
      expect(bad.join('\n')).not.toContain(secret);
      expect(problemsOf(() => loadClientConfig({ TEMPORAL_CONFIG_FILE: join(dir, 'missing.toml') }))).toEqual(
        [`TEMPORAL_CONFIG_FILE: cannot read the file "${join(dir, 'missing.toml')}"`],
      );
    });
    withConfigFile('[profile.default]\n', (file) => {
      expect(
        problemsOf(() => loadListenerConfig({ TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })),
      ).toEqual([
        expect.stringMatching(/NOTIFY_SECRET is required/),
        'TEMPORAL_PROFILE: no profile "prod" in the Temporal config file',
      ]);
    });
  });
});

describe('.env.example and the configuration schema', () => {
  /** Documented for docker-compose.yml or local tooling, not read by a process's configuration. */
  const NOT_IN_SCHEMA = new Map([
    ['POSTGRES_PASSWORD', 'docker-compose.yml: the database password'],
    ['TEMPORAL_NAMESPACE_RETENTION', 'docker-compose.yml: the namespace job'],
    ['NEXUS_CALLER_NAMESPACES', "docker-compose.yml: the namespace job, other teams' namespaces"],
    ['TEMPORAL_CLI_PATH', 'tooling/stack/temporal-binaries.ts: local tooling'],
    ['TEMPORAL_TEST_SERVER_PATH', 'tooling/stack/temporal-binaries.ts: local tooling'],
    ['DEV_PAYLOAD_CODEC', "tooling/stack/embedded.ts: the embedded stack's codec switch"],
    ['TEMPORAL_CODEC_ENDPOINT', "docker-compose.yml: the Web UI's codec server, as browsers reach it"],
    [
      'TEMPORAL_PROMETHEUS_ENDPOINT',
      "docker-compose.yml: the server's metrics, for the benchmark's action count",
    ],
  ]);

  /** `NAME=value` and `# NAME=default` lines. */
  function documented(text: string): Set<string> {
    return new Set([...text.matchAll(/^(?:#\s*)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? ''));
  }

  function drift(text: string): { undocumented: string[]; unknown: string[] } {
    const names = documented(text);
    return {
      undocumented: KNOWN_VARIABLES.filter((name) => !names.has(name)),
      unknown: [...names].filter((name) => !KNOWN_VARIABLES.includes(name) && !NOT_IN_SCHEMA.has(name)),
    };
  }

  const example = readFileSync(join(PROJECT_ROOT, '.env.example'), 'utf8');

  it('lists every variable the schema knows, and the schema knows every variable it lists', () => {
    expect(KNOWN_VARIABLES).toEqual(expect.arrayContaining(['TEMPORAL_PROFILE', 'TDG_API_KEY', 'SIM_SEED']));
    expect(drift(example)).toEqual({ undocumented: [], unknown: [] });
    for (const name of NOT_IN_SCHEMA.keys()) expect(documented(example), name).toContain(name);
  });

  it("gives the schema's default for every commented-out setting that has one", () => {
    const defaults = variableDefaults(...SECTIONS);
    const examples = new Set(['TDG_BASE_URL']); // `# TDG_BASE_URL=http://simulator:8787`: the demo's value
    const commented = [...example.matchAll(/^#\s*([A-Z][A-Z0-9_]*)=(\S+)$/gm)];
    const differing = commented.filter(
      ([, name = '', value]) =>
        !examples.has(name) && defaults.has(name) && String(defaults.get(name)) !== value,
    );
    expect(differing.map(([line]) => line)).toEqual([]);
    expect(commented.length).toBeGreaterThan(20);
  });

  it('catches drift either way', () => {
    expect(drift(`${example}\n# TDG_BOGUS_SETTING=1\n`).unknown).toEqual(['TDG_BOGUS_SETTING']);
    expect(drift(example.replace(/^# SIM_SEED=.*$/m, '')).undocumented).toEqual(['SIM_SEED']);
  });
});

describe('the configuration table in the docs and the configuration schema', () => {
  /** The Markdown tables headed `| variable | default | meaning |`, in README.md and docs/. */
  function documentedDefaults(): Map<string, string | undefined> {
    const docs = readdirSync(join(PROJECT_ROOT, 'docs')).filter((name) => name.endsWith('.md'));
    const rows = new Map<string, string | undefined>();
    for (const file of ['README.md', ...docs.map((name) => join('docs', name))]) {
      const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
      for (const table of text
        .split(/\n(?!\|)/)
        .filter((t) => /^\|\s*variable\s*\|\s*default\s*\|/m.test(t))) {
        for (const line of table.split('\n').slice(2)) rowsOf(line, rows);
      }
    }
    return rows;
  }
  /** `| \`A\`, \`B\` | \`1\`, \`2\` | … |`: each variable with its default (none when not in backticks). */
  function rowsOf(line: string, into: Map<string, string | undefined>): void {
    const [names = '', defaults = ''] = line.split('|').slice(1);
    const values = [...defaults.matchAll(/`([^`]*)`/g)].map((m) => m[1]);
    [...names.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].forEach((m, i) => into.set(m[1] ?? '', values[i]));
  }
  function drift(documented: Map<string, string | undefined>): string[] {
    const defaults = variableDefaults(...SECTIONS);
    defaults.set('TEMPORAL_ADDRESS', DEFAULT_TEMPORAL_ADDRESS);
    defaults.set('TEMPORAL_NAMESPACE', DEFAULT_TEMPORAL_NAMESPACE);
    const problems: string[] = [];
    for (const [name, value] of documented) {
      if (!KNOWN_VARIABLES.includes(name)) problems.push(`${name} is not in the schema`);
      else if (value !== undefined && String(defaults.get(name)) !== value) {
        problems.push(`${name}: the docs say ${value}, the schema ${String(defaults.get(name))}`);
      }
    }
    return problems;
  }

  it("documents only variables the schema reads, with the schema's defaults", () => {
    const documented = documentedDefaults();
    expect(documented.get('TDG_REQUEST_TIMEOUT')).toBe('7s');
    expect(drift(documented)).toEqual([]);
  });

  it('catches drift', () => {
    const documented = documentedDefaults();
    documented.set('TDG_REQUEST_TIMEOUT', '15s');
    documented.set('TDG_BOGUS', undefined);
    expect(drift(documented)).toEqual([
      'TDG_REQUEST_TIMEOUT: the docs say 15s, the schema 7s',
      'TDG_BOGUS is not in the schema',
    ]);
  });
});
