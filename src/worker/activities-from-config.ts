/**
 * Turns validated configuration into the TDG client and activities. The worker process, the dev
 * stack and the tests all build their activities here, so they run the same wiring: one keep-alive
 * pool sized by the configuration, and the Temporal runtime's logger for every component.
 */
import { Runtime } from '@temporalio/worker';
import { createActivities, type TdgActivities } from '../../activities/index.js';
import {
  createKeepAliveFetch,
  createPasswordTokenProvider,
  createStaticTokenProvider,
  createTdgClient,
  jobNameFor,
  type TdgLogger,
} from '../tdg/index.js';
import type { NotifyConfig } from '../platform/env/notify.js';
import type { TdgConfig } from './config.js';
import { buildNotificationUrl } from '../platform/notify-url.js';

/**
 * The worker's logger for what runs outside an activity's own context (the token provider, the
 * client's fallback): the Temporal runtime's logger, the same one activity logs go to. It is looked
 * up at each entry, so it is the runtime `npm run worker` (or a test harness) installed.
 */
export const runtimeLogger: TdgLogger = {
  info: (message, meta) => {
    Runtime.instance().logger.info(message, meta);
  },
  warn: (message, meta) => {
    Runtime.instance().logger.warn(message, meta);
  },
};

export function activitiesFromConfig(
  tdg: TdgConfig,
  notify: NotifyConfig | null,
  logger: TdgLogger = runtimeLogger,
  /** This worker's share of the fleet-wide TDG rate (tdgCallsPerSecondPerWorker); unlimited when absent. */
  maxCallsPerSecond?: number,
): TdgActivities {
  // One pool for the token provider and the client: auth and calls share the worker's sockets.
  const fetch = createKeepAliveFetch(tdg.maxSockets);
  const tokens =
    tdg.auth.kind === 'static'
      ? createStaticTokenProvider(tdg.auth.token)
      : createPasswordTokenProvider({
          baseUrl: tdg.baseUrl,
          apiVersion: tdg.apiVersion,
          apiKey: tdg.apiKey,
          username: tdg.auth.username,
          password: tdg.auth.password,
          tokenTtlMs: tdg.auth.tokenTtlMs,
          fetch,
          ...(tdg.auth.tokenField ? { tokenField: tdg.auth.tokenField } : {}),
          logger,
        });
  const client = createTdgClient({
    baseUrl: tdg.baseUrl,
    apiVersion: tdg.apiVersion,
    apiKey: tdg.apiKey,
    tokens,
    // Also bounds the token provider's requests: the client passes it with each token request.
    requestTimeoutMs: tdg.requestTimeoutMs,
    fetch,
    logger,
    ...(maxCallsPerSecond === undefined ? {} : { maxCallsPerSecond }),
  });
  return createActivities({
    tdg: client,
    jobName: jobNameFor,
    notificationUrl: notify
      ? (workflowId) => buildNotificationUrl(notify.publicUrl, notify.secret, workflowId)
      : null,
    logger,
  });
}
