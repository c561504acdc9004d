/**
 * `npm run dev` as a person runs it, for tooling that drives the product from a shell (the docs
 * check, the CLI start-up benchmark): a dev server of its own on a free port (in memory, headless,
 * so it never meets the 7233/8233 a person's `npm run dev` holds), then `npm run dev` pointed at it
 * through TEMPORAL_ADDRESS, with the simulator and listener on free ports. The returned `env` is
 * what a second shell would export to use that stack.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { Connection } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../../src/contract/definitions.js';
import { freePort, startDevServer } from './dev-server.js';
import { CALLER_NAMESPACE, ensureExampleEndpoint } from './nexus.js';

export interface DevStackProcess {
  /** The environment of a shell that uses this stack (TEMPORAL_ADDRESS, …), over `process.env`. */
  env: NodeJS.ProcessEnv;
  /** `npm run dev`'s output so far (for a report when something fails). */
  log(): string;
  stop(): Promise<void>;
}

/** The line `npm run dev` prints once its worker is current on the task queue. */
const READY_LINE = 'Ctrl-C stops the stack';

export async function startDevStackProcess(
  options: { startTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<DevStackProcess> {
  const server = await startDevServer({
    uiPort: null,
    startTimeoutMs: 120_000,
    extraNamespaces: [CALLER_NAMESPACE],
  });
  // What `npm run dev` adds to a dev server it starts itself: the Nexus example's endpoint.
  const operator = await Connection.connect({ address: server.address });
  await ensureExampleEndpoint(operator, 'default', DEFAULT_TASK_QUEUE).finally(() => operator.close());
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  // Whatever a person's shell sets for the product would point the commands elsewhere.
  for (const name of Object.keys(env))
    if (/^(TEMPORAL|TDG|NOTIFY|PAYLOAD_CODEC|SIM|SIMULATOR|LISTENER|WORKER|CODEC_SERVER|DEV)_/.test(name))
      delete env[name];
  env.TEMPORAL_ADDRESS = server.address;
  env.TEMPORAL_NAMESPACE = 'default';
  const stackEnv = {
    ...env,
    SIMULATOR_PORT: String(await freePort()),
    LISTENER_PORT: String(await freePort()),
  };
  // Its own process group, so stopping it reaches npm's children (tsx, node) too.
  const child = spawn('npm', ['run', '-s', 'dev'], {
    cwd: PROJECT_ROOT,
    env: stackEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(-child.pid, 'SIGINT');
      const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, 'SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    await server.stop();
  };
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(
        () => fail(new Error(`npm run dev was not ready in time:\n${output.slice(-2000)}`)),
        options.startTimeoutMs ?? 120_000,
      );
      const collect = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes(READY_LINE)) {
          clearTimeout(timer);
          ready();
        }
      };
      child.stdout.on('data', collect);
      child.stderr.on('data', collect);
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`npm run dev exited (${code}) during start-up:\n${output.slice(-2000)}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { env, log: () => output, stop };
}
