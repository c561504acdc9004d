/**
 * `npm run listener` as a real process: configuration errors exit 2 without echoing the secret;
 * with Temporal down it still starts, reports 503 on /healthz, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { signWorkflowId } from '../src/platform/notify-url.js';

const MAIN = 'src/bin/listener.ts';

function runListener(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** The service's log: one JSON object per stdout line. */
function logLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** One line of the services' log format (src/platform/log.ts). */
function expectLogLine(line: Record<string, unknown>, service: string): void {
  expect(line.service).toBe(service);
  expect(line.level).toMatch(/^(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)$/);
  expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(typeof line.message).toBe('string');
}

describe('listener process', () => {
  it('exits 2 with one clear message on bad configuration, never echoing a secret', async () => {
    const shortSecret = 'a-secret-that-is-too-short';
    const run = runListener({
      NOTIFY_SECRET: shortSecret,
      NOTIFY_SECRET_PREVIOUS: `${shortSecret}-too`,
      LISTENER_PORT: '99999',
    });
    const [code] = await run.exited;
    const { stdout, stderr } = run.output();
    expect(code).toBe(2);
    expect(stderr).toContain('listener: invalid configuration');
    expect(stderr).toContain('NOTIFY_SECRET must be at least 32 bytes');
    expect(stderr).toContain('NOTIFY_SECRET_PREVIOUS must be at least 32 bytes');
    expect(stderr).toContain('LISTENER_PORT');
    expect(stdout + stderr).not.toContain(shortSecret);
  });

  it('starts while Temporal is down, answers /healthz 503, and shuts down on SIGTERM', async () => {
    const secret = 'k'.repeat(48);
    const run = runListener({
      NOTIFY_SECRET: secret,
      LISTENER_PORT: '0',
      LISTENER_HOST: '127.0.0.1',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no start line: ${JSON.stringify(run.output())}`)),
          20_000,
        );
        run.child.stdout.on('data', () => {
          const stdout = run.output().stdout;
          if (!stdout.endsWith('\n')) return;
          const started = logLines(stdout).find(
            (line) => line.message === `listening on ${String(line.url)}`,
          );
          if (typeof started?.url === 'string') {
            clearTimeout(timer);
            resolve(started.url);
          }
        });
      });
      const health = await fetch(`${url}/healthz`);
      expect([health.status, await health.json()]).toEqual([
        503,
        { status: 'degraded', temporal: 'unreachable' },
      ]);
      expect((await fetch(`${url}/notifications/wf?sig=${'0'.repeat(64)}`)).status).toBe(401);
      // A valid signature: Temporal is down, so 503, and the request is logged by fastify.
      const sig = signWorkflowId(secret, 'wf-logged');
      expect((await fetch(`${url}/notifications/wf-logged?sig=${sig}&job_id=J1`)).status).toBe(503);
      run.child.kill('SIGTERM');
      const [code] = await run.exited;
      expect(code).toBe(0);
      const { stdout, stderr } = run.output();
      const lines = logLines(stdout);
      for (const line of lines) expectLogLine(line, 'listener');
      const requests = lines.filter((line) => line.message === 'incoming request').map((line) => line.req);
      expect(requests).toContainEqual(
        expect.objectContaining({ url: '/notifications/wf-logged?sig=[redacted]&job_id=J1' }),
      );
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'INFO', message: 'shutting down', signal: 'SIGTERM' }),
      );
      expect(stdout + stderr).not.toContain(sig);
      expect(stdout + stderr).not.toContain('0'.repeat(64));
      expect(stdout + stderr).not.toContain(secret);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
