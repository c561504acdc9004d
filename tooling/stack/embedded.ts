/**
 * The embedded stack. `npm start` (--once): bring everything up, run "Tutorial Job" end to
 * end, print it, exit. `npm run dev`: keep it up for the Web UI and the starter.
 * A part is started here only when its address is not configured: TEMPORAL_ADDRESS unset →
 * a Temporal dev server (SQLite in .data/, Web UI on 8233); NOTIFY_PUBLIC_URL unset → the
 * webhook listener on loopback; TDG_BASE_URL unset → the simulator, which then delivers its
 * notifications to that listener.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { ConfigError, flag, loadSections } from '../../src/platform/env/schema.js';
import { ensureKeyFile } from '../../src/platform/codec-keys-file.js';
import { describePayloadCodec, payloadCodecFor } from '../../src/platform/data-converter.js';
import { startCodecServer, type RunningCodecServer } from '../../src/codec-server/index.js';
import { DEFAULT_CODEC_SERVER_PORT } from '../../src/codec-server/config.js';
import { z } from 'zod';
import { loadClientConfig } from '../../src/platform/env/temporal.js';
import { loadWorkerConfig, tdgCallsPerSecondPerWorker } from '../../src/worker/config.js';
import { connectClient, connectionOptions } from '../../src/platform/temporal-connection.js';
import { describeStatusLine, outcomeOf, printOutcome } from '../../src/cli/index.js';
import { TdgJobs } from '../../src/client/index.js';
import { activitiesFromConfig } from '../../src/worker/activities-from-config.js';
import { createTdgWorker } from '../../src/worker/factory.js';
import { workerLogger } from '../../src/worker/logging.js';
import { describeVersion, promoteVersion, runAsCurrent, workerVersion } from '../../src/worker/versioning.js';
import { startStack, type StackOptions } from './launcher.js';
import { CALLER_NAMESPACE, ensureExampleEndpoint } from './nexus.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';

const say = (line: string): void => void process.stdout.write(`${line}\n`);

/** `once`: run one job end to end and exit (npm start); otherwise stay up (npm run dev). */
export async function main(once: boolean): Promise<number> {
  try {
    return await runStack(once);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
}

const DATA_DIR = join(PROJECT_ROOT, '.data');
/** The dev stack's own key file: its SQLite history outlives a restart, so its key must too. */
const DEV_KEY_FILE = join(DATA_DIR, 'payload-codec.keys');
const DEV_UI_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

/**
 * The payload codec in the embedded stack: off by default. DEV_PAYLOAD_CODEC=true turns it on
 * with a key of the stack's own (created once in .data/); PAYLOAD_CODEC_KEYS or
 * PAYLOAD_CODEC_KEYS_FILE, when set, are used instead. With the codec on, the stack also runs the
 * codec server for the Web UI and points the dev server's UI at it.
 */
async function devCodec(env: Record<string, string | undefined>): Promise<{ codecEndpoint: string } | null> {
  const { on } = loadSections(
    { on: z.object({ DEV_PAYLOAD_CODEC: flag.prefault('false') }).transform((e) => e.DEV_PAYLOAD_CODEC) },
    env,
  );
  const configured = Boolean(env.PAYLOAD_CODEC_KEYS?.trim() || env.PAYLOAD_CODEC_KEYS_FILE?.trim());
  if (!on && !configured) return null;
  if (!configured) {
    mkdirSync(DATA_DIR, { recursive: true });
    const { created } = await ensureKeyFile(DEV_KEY_FILE);
    if (created) say(`payload codec: new key file ${DEV_KEY_FILE}`);
    env.PAYLOAD_CODEC_KEYS_FILE = DEV_KEY_FILE;
  }
  const port = Number(env.CODEC_SERVER_PORT ?? DEFAULT_CODEC_SERVER_PORT);
  return { codecEndpoint: `http://127.0.0.1:${port}` };
}

/** What to start: each part whose address the environment does not configure. */
function stackOptionsFrom(
  env: Record<string, string | undefined>,
  codec: { codecEndpoint: string } | null,
): StackOptions {
  const dataDir = DATA_DIR;
  if (!env.TEMPORAL_ADDRESS) mkdirSync(dataDir, { recursive: true });
  return {
    temporal: env.TEMPORAL_ADDRESS
      ? { address: env.TEMPORAL_ADDRESS }
      : {
          devServer: {
            port: 7233,
            uiPort: 8233,
            dbFilename: join(dataDir, 'temporal.sqlite'),
            // Another team's side of the Nexus example (docs/nexus.md).
            extraNamespaces: [CALLER_NAMESPACE],
            ...(codec ? { uiCodecEndpoint: codec.codecEndpoint } : {}),
          },
        },
    // The environment's own connection settings (TLS, API key) when TEMPORAL_ADDRESS is given.
    connect: (address) => connectClient(loadClientConfig({ ...env, TEMPORAL_ADDRESS: address })),
    listener: !env.NOTIFY_PUBLIC_URL && {
      port: Number(env.LISTENER_PORT ?? 8788),
      ...(env.NOTIFY_SECRET ? { secret: env.NOTIFY_SECRET } : {}),
    },
    simulator: !env.TDG_BASE_URL && {
      port: Number(env.SIMULATOR_PORT ?? 8787),
      ...(env.TDG_API_KEY ? { apiKey: env.TDG_API_KEY } : {}),
      ...(env.TDG_USERNAME ? { username: env.TDG_USERNAME } : {}),
      ...(env.TDG_PASSWORD ? { password: env.TDG_PASSWORD } : {}),
      defaults: { durationMs: 8_000, batches: 5, outcome: 'COMPLETED' },
    },
  };
}

async function runStack(once: boolean): Promise<number> {
  const startedAt = Date.now();
  const env: Record<string, string | undefined> = { ...process.env };
  const codec = await devCodec(env);
  const stack = await startStack(stackOptionsFrom(env, codec));
  const stoppers: (() => Promise<void>)[] = [() => stack.close()];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
  };

  try {
    const { engine, client } = stack;
    if (!env.TEMPORAL_ADDRESS) {
      env.TEMPORAL_ADDRESS = engine.address;
      say(`temporal dev server on ${engine.address}, Web UI ${engine.devServer().uiUrl ?? '(headless)'}`);
      // Loopback only, for one person: the production stacks (compose, npm run cluster) use mutual TLS.
      say(
        'plaintext on loopback (no TLS): for development only; npm run cluster runs Temporal with mutual TLS',
      );
    }
    if (stack.notify) {
      env.NOTIFY_PUBLIC_URL = stack.notify.publicUrl;
      env.NOTIFY_SECRET = stack.notify.secret;
      say(`webhook listener on ${stack.notify.publicUrl}`);
    }
    if (stack.tdg) {
      env.TDG_BASE_URL = stack.tdg.baseUrl;
      env.TDG_API_KEY = stack.tdg.apiKey;
      env.TDG_USERNAME = stack.tdg.username;
      env.TDG_PASSWORD = stack.tdg.password;
      say(`TDG simulator on ${stack.tdg.baseUrl} (jobs take 8s unless their name says [sim duration=…])`);
    }

    const config = loadWorkerConfig(env);
    if (!process.env.TEMPORAL_ADDRESS)
      say(
        `${await ensureExampleEndpoint(stack.connection, config.temporal.namespace, config.temporal.taskQueue)}; ` +
          `callers' namespace "${CALLER_NAMESPACE}" (docs/nexus.md: npm run example:nexus)`,
      );
    const payloadCodec = payloadCodecFor(config.codecKeys);
    say(
      `payload codec: ${describePayloadCodec(config.codecKeys)}${codec ? '' : ' (DEV_PAYLOAD_CODEC=true turns it on)'}`,
    );
    if (codec && payloadCodec) {
      const codecServer = await startDevCodecServer(env, payloadCodec, config.temporal.namespace);
      stoppers.push(() => codecServer.close());
    }
    Runtime.install({ logger: workerLogger('WARN') });
    const connection = await NativeConnection.connect(connectionOptions(config));
    stoppers.push(() => connection.close());
    const worker = await createTdgWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: activitiesFromConfig(
        config.tdg,
        config.notify,
        undefined,
        tdgCallsPerSecondPerWorker(config.limits),
      ),
      limits: config.limits,
      // The dev server's data outlives a code change, and nothing keeps an older build's worker
      // running: AUTO_UPGRADE moves every open run onto the new build instead of stranding it.
      versioning: { ...config.deployment, defaultBehavior: 'AUTO_UPGRADE' },
      payloadCodec,
    });
    const version = describeVersion(workerVersion(worker)!);
    if (!once) {
      const running = worker.run();
      try {
        await promoteVersion(connection, config.temporal.namespace, workerVersion(worker)!);
      } catch (err) {
        worker.shutdown();
        await running;
        throw err;
      }
      say(
        `worker ${version} (current) on task queue ${config.temporal.taskQueue}; try: npm run job -- start --name "My Job" --wait`,
      );
      say('Ctrl-C stops the stack');
      await running;
      return 0;
    }

    let exitCode = 0;
    await runAsCurrent(worker, connection, async () => {
      say(`worker ${version} (current) on task queue ${config.temporal.taskQueue}`);
      const jobs = new TdgJobs(client, { taskQueue: config.temporal.taskQueue });
      const started = await jobs.startJob({
        name: 'Tutorial Job',
        notificationMethod: config.notify ? 'POST' : null,
      });
      say(`started workflow ${started.workflowId}: TDG job ${started.jobId ?? '(not known yet)'}`);
      const outcome = await outcomeOf(
        jobs.follow(started.workflowId, {
          onChange: (status) =>
            say(
              `  ${((Date.now() - startedAt) / 1000).toFixed(1)}s job ${status.jobId ?? '-'} ${describeStatusLine(status)}`,
            ),
        }),
      );
      exitCode = printOutcome(outcome, false, { out: say, err: say });
      say(`done in ${((Date.now() - startedAt) / 1000).toFixed(1)}s`);
    });
    return exitCode;
  } finally {
    await stopAll();
  }
}

/**
 * The codec server on loopback for the dev server's Web UI, with CODEC_SERVER_TOKENS or a token
 * made now; it prints how to sign the browser in and how the CLI reads the jobs.
 */
async function startDevCodecServer(
  env: Record<string, string | undefined>,
  codec: NonNullable<ReturnType<typeof payloadCodecFor>>,
  namespace: string,
): Promise<RunningCodecServer> {
  const token = env.CODEC_SERVER_TOKENS?.split(',')[0]?.trim() || randomBytes(32).toString('hex');
  const server = await startCodecServer(
    { codec, tokens: [token], uiOrigins: DEV_UI_ORIGINS, namespace },
    { port: Number(env.CODEC_SERVER_PORT ?? DEFAULT_CODEC_SERVER_PORT), host: '127.0.0.1' },
  );
  say(`codec server on ${server.url}: sign this browser in once at ${server.url}/login with token ${token}`);
  say(
    `  then in the Web UI's data encoder settings (the lock icon): endpoint ${server.url}, override on, "include cross-origin credentials" on`,
  );
  say(
    `  CLI in another shell: PAYLOAD_CODEC_KEYS_FILE=${env.PAYLOAD_CODEC_KEYS_FILE ?? '(your keys)'} npm run job -- …`,
  );
  say(`  temporal CLI: --codec-endpoint ${server.url} --codec-auth "Bearer ${token}"`);
  return server;
}
