/**
 * `npm run listener` as a real process: configuration errors exit 2 without echoing the secret;
 * with Temporal down it still starts, reports 503 on /healthz, and stops cleanly on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';

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
          const match = /listening on (http:\/\/[^\s]+)/.exec(run.output().stdout);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      const health = await fetch(`${url}/healthz`);
      expect([health.status, await health.json()]).toEqual([
        503,
        { status: 'degraded', temporal: 'unreachable' },
      ]);
      expect((await fetch(`${url}/notifications/wf?sig=${'0'.repeat(64)}`)).status).toBe(401);
      run.child.kill('SIGTERM');
      const [code] = await run.exited;
      expect(code).toBe(0);
      const { stdout, stderr } = run.output();
      expect(stdout).toContain('SIGTERM: shutting down');
      expect(stdout + stderr).not.toContain(secret);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
