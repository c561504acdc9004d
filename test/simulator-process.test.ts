/**
 * The simulator as a process: over real sockets, its configuration from the environment, and
 * `npm run simulator` itself.
 */
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { type StatsView } from '../tooling/simulator/app.js';
import { simulatorConfigFromEnv } from '../tooling/simulator/config.js';
import { startSimulator } from '../tooling/simulator/index.js';
import {
  API_KEY,
  PASSWORD,
  type TdgJobBody,
  USERNAME,
  closeRunning,
  expectLogLine,
  receiver,
  running,
} from './helpers/simulator.js';

afterEach(closeRunning);

describe('over real sockets', () => {
  it('startSimulator serves the whole flow on an ephemeral port', async () => {
    const target = await receiver();
    const sim = await startSimulator(
      { apiKey: API_KEY, username: USERNAME, password: PASSWORD, seed: 5, tickIntervalMs: 10 },
      { port: 0, host: '127.0.0.1' },
    );
    running.push(sim);
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = await fetch(`${sim.url}/v3/auth`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    });
    const { token } = (await auth.json()) as { token: string };
    const headers = { 'x-api-key': API_KEY, AuthorizationToken: token, 'content-type': 'application/json' };
    const created = await fetch(`${sim.url}/v3/async/append/email/job`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'socket [sim duration=100ms batches=2]',
        notification_URL: `${target.base}/hook?sig=abc`,
        notification_method: 'GET',
      }),
    });
    const { job_id: jobId } = (await created.json()) as { job_id: string };
    let body: TdgJobBody | undefined;
    for (let i = 0; i < 100 && body?.state !== 'COMPLETED'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      const response = await fetch(`${sim.url}/v3/async/append/email/job/${jobId}`, {
        headers: { 'x-api-key': API_KEY, AuthorizationToken: token },
      });
      body = (await response.json()) as TdgJobBody;
    }
    expect(body?.batch_list).toHaveLength(2);
    await sim.simulator.notificationsIdle();
    expect(target.received.at(-1)?.url).toBe(`/hook?sig=abc&job_id=${jobId}&state=COMPLETED`);
    const view = (await (await fetch(`${sim.url}/_sim/jobs/${jobId}`)).json()) as {
      terminalAt: string;
      state: string;
    };
    expect(view.state).toBe('COMPLETED');
    expect(Date.parse(view.terminalAt)).toBeGreaterThan(0);
    const broken = await fetch(`${sim.url}/v3/auth`, {
      method: 'POST',
      headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' },
      body: '{"username": ',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(/not valid JSON/);
  });
});

describe('configuration from the environment', () => {
  const base = { SIM_API_KEY: 'k', SIM_USERNAME: 'u', SIM_PASSWORD: 'p' };

  it('reads SIM_ variables with TDG_ fallbacks and defaults', () => {
    const config = simulatorConfigFromEnv({
      TDG_API_KEY: 'tk',
      TDG_USERNAME: 'tu',
      TDG_PASSWORD: 'tp',
      TDG_AUTH_TOKEN: 'static',
    });
    expect(config).toMatchObject({
      port: 8787,
      host: '127.0.0.1',
      options: { apiKey: 'tk', username: 'tu', password: 'tp', staticTokens: ['static'], versions: ['v3'] },
    });
    // Unset: the simulator's own defaults (changes; job_id and state).
    expect(config.options.notificationMode).toBeUndefined();
    expect(config.options.notificationFields).toEqual({});
    const full = simulatorConfigFromEnv({
      ...base,
      TDG_API_KEY: 'ignored',
      SIM_SEED: '9',
      SIM_DEFAULT_DURATION: '90s',
      SIM_DEFAULT_BATCHES: '7',
      SIM_DEFAULT_OUTCOME: 'failed',
      SIM_TOKEN_TTL: '2h',
      SIM_ERROR_RATE: '0.25',
      SIM_RETRY_AFTER_SECONDS: '3',
      SIM_LATENCY_MS: '15',
      SIM_TRAILING_COMMA: 'true',
      SIM_HTML_RATE: '0.1',
      SIM_REDIRECT_RATE: '0.2',
      SIM_NOT_FOUND_RATE: '0.3',
      SIM_RESET_RATE: '0.4',
      SIM_HANG_RATE: '0.05',
      SIM_OUTAGE: 'on',
      SIM_NOTIFICATION_MODE: 'Terminal',
      SIM_NOTIFICATION_JOB_ID_FIELD: 'jobId',
      SIM_NOTIFICATION_STATE_FIELD: 'status',
      SIMULATOR_PORT: '0',
      SIMULATOR_HOST: '0.0.0.0',
    });
    expect(full).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      options: {
        apiKey: 'k',
        seed: 9,
        tokenTtlMs: 7_200_000,
        defaults: { durationMs: 90_000, batches: 7, outcome: 'FAILED' },
        notificationMode: 'terminal',
        notificationFields: { jobId: 'jobId', state: 'status' },
        faults: {
          errorRate: 0.25,
          retryAfterSeconds: 3,
          latencyMs: 15,
          trailingCommaBodies: true,
          htmlRate: 0.1,
          redirectRate: 0.2,
          notFoundRate: 0.3,
          resetRate: 0.4,
          hangRate: 0.05,
          outage: true,
        },
      },
    });
  });

  it('rejects bad values with one clear line', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /SIM_API_KEY \(or TDG_API_KEY\) is required/],
      [{ SIM_API_KEY: 'k' }, /no way to authenticate/],
      [{ SIM_API_KEY: 'k', SIM_USERNAME: 'u' }, /both SIM_USERNAME and SIM_PASSWORD/],
      [{ ...base, SIM_DEFAULT_DURATION: 'soon' }, /SIM_DEFAULT_DURATION: invalid duration "soon"/],
      [{ ...base, SIM_ERROR_RATE: '2' }, /SIM_ERROR_RATE must be a number from 0 to 1/],
      [{ ...base, SIM_DEFAULT_OUTCOME: 'maybe' }, /SIM_DEFAULT_OUTCOME/],
      [{ ...base, SIM_TRAILING_COMMA: 'perhaps' }, /SIM_TRAILING_COMMA must be true or false/],
      [{ ...base, SIM_HTML_RATE: '1.5' }, /SIM_HTML_RATE must be a number from 0 to 1/],
      [{ ...base, SIM_HANG_RATE: 'often' }, /SIM_HANG_RATE must be a number from 0 to 1/],
      [{ ...base, SIM_OUTAGE: 'down' }, /SIM_OUTAGE must be true or false/],
      [{ ...base, SIMULATOR_PORT: '70000' }, /SIMULATOR_PORT must be a whole number from 0 to 65535/],
      [{ ...base, SIM_SEED: 'abc' }, /SIM_SEED/],
      [{ ...base, SIM_NOTIFICATION_MODE: 'sometimes' }, /SIM_NOTIFICATION_MODE must be changes or terminal/],
      [{ ...base, SIM_NOTIFICATION_STATE_FIELD: 'job_id' }, /must differ/],
    ];
    for (const [env, message] of cases)
      expect(() => simulatorConfigFromEnv(env), JSON.stringify(env)).toThrow(message);
  });
});

describe('the simulator process', () => {
  const cleanEnv = (): Record<string, string> => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) {
      if (
        value !== undefined &&
        !name.startsWith('SIM_') &&
        !name.startsWith('TDG_') &&
        !name.startsWith('SIMULATOR_')
      )
        env[name] = value;
    }
    return env;
  };
  const spawnMain = (env: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', 'tooling/bin/simulator.ts'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: 'pipe',
    });

  it('exits 2 with a one-line message on bad configuration', async () => {
    const child = spawnMain({
      ...cleanEnv(),
      SIM_API_KEY: 'k',
      SIM_STATIC_TOKEN: 't',
      SIM_ERROR_RATE: 'lots',
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('simulator: SIM_ERROR_RATE must be a number from 0 to 1 (got "lots")');
  });

  it('listens, logs JSON lines without credentials, and shuts down on SIGTERM', async () => {
    const apiKey = 'process-api-key-never-logged';
    const token = 'process-static-token-never-logged';
    const child = spawnMain({
      ...cleanEnv(),
      SIM_API_KEY: apiKey,
      SIM_STATIC_TOKEN: token,
      SIMULATOR_PORT: '0',
      SIM_SEED: '3',
    });
    let stdout = '';
    const logLines = (): Record<string, unknown>[] =>
      stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (!stdout.endsWith('\n')) return;
        const started = logLines().find((line) => line.message === `listening on ${String(line.url)}`);
        if (typeof started?.url === 'string') resolve(started.url);
      });
      child.on('exit', (code) => reject(new Error(`exited early with ${code}: ${stdout}`)));
    });
    const created = await fetch(`${url}/v3/async/append/email/job`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, AuthorizationToken: token, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from the process' }),
    });
    expect(created.status).toBe(200);
    expect(((await (await fetch(`${url}/_sim/stats`)).json()) as StatsView).jobsCreated.total).toBe(1);
    expect(logLines()).toContainEqual(expect.objectContaining({ service: 'simulator', seed: 3 }));
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    const lines = logLines();
    for (const line of lines) expectLogLine(line, 'simulator');
    expect(lines).toContainEqual(expect.objectContaining({ message: 'shutting down', signal: 'SIGTERM' }));
    // Credentials arrive in headers, which are never logged.
    expect(lines.filter((line) => line.message === 'incoming request').length).toBeGreaterThanOrEqual(2);
    expect(stdout).not.toContain(apiKey);
    expect(stdout).not.toContain(token);
  });
});
