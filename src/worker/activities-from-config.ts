/** Turns validated configuration into the TDG client and activities. */
import { createActivities, type TdgActivities } from '../../activities/index.js';
import {
  createPasswordTokenProvider,
  createStaticTokenProvider,
  createTdgClient,
  jobNameFor,
  type TdgLogger,
} from '../tdg/index.js';
import type { NotifyConfig, TdgConfig } from '../platform/config.js';
import { buildNotificationUrl } from '../platform/notify-url.js';

export function activitiesFromConfig(
  tdg: TdgConfig,
  notify: NotifyConfig | null,
  logger?: TdgLogger,
): TdgActivities {
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
          requestTimeoutMs: tdg.requestTimeoutMs,
          ...(tdg.auth.tokenField ? { tokenField: tdg.auth.tokenField } : {}),
          ...(logger ? { logger } : {}),
        });
  const client = createTdgClient({
    baseUrl: tdg.baseUrl,
    apiVersion: tdg.apiVersion,
    apiKey: tdg.apiKey,
    tokens,
    requestTimeoutMs: tdg.requestTimeoutMs,
    ...(logger ? { logger } : {}),
  });
  return createActivities({
    tdg: client,
    jobName: jobNameFor,
    notificationUrl: notify
      ? (workflowId) => buildNotificationUrl(notify.publicUrl, notify.secret, workflowId)
      : null,
    ...(logger ? { logger } : {}),
  });
}
