/**
 * `npm run listener`: the listener as a process. Environment: LISTENER_PORT (8788),
 * LISTENER_HOST (0.0.0.0), NOTIFY_SECRET (required, ≥ 32 bytes), NOTIFY_SECRET_PREVIOUS
 * (optional, during rotation), and Temporal's TEMPORAL_* settings (src/platform/env/temporal.ts).
 * Also re-exports startListener so the dev stack and tests can run it in-process.
 */
import { createServiceLogger } from '../platform/log.js';
import { configOrExit, exitOnSignals, listenOrExit } from '../platform/process.js';
import { connectClient } from '../platform/temporal-connection.js';
import { loadListenerConfig } from './config.js';
import { startListener } from './server.js';
import { createTemporalNotifier } from './temporal-notifier.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = configOrExit('listener', () => loadListenerConfig(env));
  const logger = createServiceLogger('listener', { env });

  // Lazy: the listener starts (and reports 503 on /healthz) while Temporal is still down.
  const { connection, client } = await connectClient(config, { lazy: true });
  const notifier = createTemporalNotifier(client);

  const running = await listenOrExit('listener', config, () =>
    startListener(
      { secrets: config.secrets, notifier, logger, forwardRunningHints: config.forwardRunningHints },
      { port: config.port, host: config.host },
    ),
  );
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
