/**
 * `npm run listener`: the webhook listener as a process. Environment: LISTENER_PORT (8788),
 * LISTENER_HOST (0.0.0.0), NOTIFY_SECRET (required, ≥ 32 bytes), NOTIFY_SECRET_PREVIOUS
 * (optional, during rotation), and Temporal's TEMPORAL_* settings (src/platform/config.ts).
 * Also re-exports startListener so the dev stack and tests can run it in-process.
 */
import { createServiceLogger } from '../platform/log.js';
import { errorLine, exitOnSignals } from '../platform/process.js';
import { ConfigError } from '../platform/config.js';
import { connectClient } from '../platform/temporal-connection.js';
import { loadListenerConfig } from './config.js';
import { startListener } from './server.js';
import { createTemporalNotifier } from './temporal-notifier.js';

const EXIT_BAD_CONFIG = 2;
const EXIT_CANNOT_START = 1;

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = loadListenerConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`listener: ${error.message}`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const logger = createServiceLogger('listener', { env });

  // Lazy: the listener starts (and reports 503 on /healthz) while Temporal is still down.
  const { connection, client } = await connectClient(config, { lazy: true });
  const notifier = createTemporalNotifier(client);

  let running;
  try {
    running = await startListener(
      { secrets: config.secrets, notifier, logger },
      { port: config.port, host: config.host },
    );
  } catch (error) {
    console.error(`listener: cannot listen on ${config.host}:${config.port}: ${errorLine(error)}`);
    process.exit(EXIT_CANNOT_START);
  }
  logger.info(
    {
      url: running.url,
      notifications: `${running.url}/notifications/{workflowId}?sig=…`,
      health: `${running.url}/healthz`,
      temporal: { address: config.temporal.address, namespace: config.temporal.namespace },
      secrets: config.secrets.length,
    },
    `listening on ${running.url}`,
  );
  // Informational only: the listener serves either way, answering 503 while Temporal is away.
  void notifier.healthy().then((reachable) => {
    if (reachable) logger.info('Temporal is reachable');
    else logger.warn('Temporal is not reachable yet: notifications get 503 until it is');
  });

  exitOnSignals(logger, async () => {
    await running.close();
    await notifier.idle();
    await connection.close();
  });
}
