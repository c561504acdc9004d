/**
 * The Temporal activities: thin wrappers that call TDG through the client and turn its errors into
 * typed ApplicationFailures. Workflow code imports only the `TdgActivities` type from here.
 */
import { Context } from '@temporalio/activity';
import type { CreateJobRequest, CreateJobResult, JobSnapshot } from '../src/shared/definitions.js';
import { buildNotificationUrl } from '../src/shared/notify-url.js';
import { toApplicationFailure } from './failures.js';
import { silentLogger, type TdgLogger } from './http.js';
import { jobNameFor } from './job-name.js';
import type { CallOptions, CreateJobParams, TdgClient } from './tdg-client.js';

export interface NotificationConfig {
  /** Base URL TDG can reach, e.g. https://hooks.example.com/notifications. */
  publicUrl: string;
  /** Signs the URL; stays in the worker, never in workflow history. */
  secret: string;
}

export interface ActivityDeps {
  tdg: TdgClient;
  /** null: no listener is configured, so jobs are followed by polling alone. */
  notifications: NotificationConfig | null;
  /** Used outside an activity context (scripts, plain unit tests). */
  logger?: TdgLogger;
  /** From this attempt on, an unreadable TDG body fails the activity for good. Default 5. */
  maxMalformedAttempts?: number;
}

export const DEFAULT_MAX_MALFORMED_ATTEMPTS = 5;

export function createActivities(deps: ActivityDeps) {
  const maxMalformedAttempts = deps.maxMalformedAttempts ?? DEFAULT_MAX_MALFORMED_ATTEMPTS;

  /** Runs a client call with the activity's cancellation and logger; maps client errors to failures. */
  async function callTdg<T>(run: (call: CallOptions) => Promise<T>): Promise<T> {
    const context = currentContext();
    const call: CallOptions = { logger: context?.log ?? deps.logger ?? silentLogger };
    if (context) call.signal = context.cancellationSignal;
    try {
      return await run(call);
    } catch (err) {
      throw toApplicationFailure(err, { attempt: context?.info.attempt ?? 1, maxMalformedAttempts });
    }
  }

  return {
    // Arrow properties, not methods: the worker registers and calls them detached from this object.
    createJob: async (req: CreateJobRequest): Promise<CreateJobResult> => {
      const params: CreateJobParams = {
        name: jobNameFor(req.name, req.workflowId),
        outputFormat: req.outputFormat,
      };
      // Built here rather than in the workflow so the signature never enters workflow history.
      if (req.notificationMethod !== null && deps.notifications !== null) {
        params.notificationUrl = buildNotificationUrl(
          deps.notifications.publicUrl,
          deps.notifications.secret,
          req.workflowId,
        );
        params.notificationMethod = req.notificationMethod;
      }
      const jobId = await callTdg((call) => deps.tdg.createJob(params, call));
      const notificationsRequested = params.notificationUrl !== undefined;
      logger().info('Created TDG job', { jobId, name: params.name, notificationsRequested });
      return { jobId, notificationsRequested };
    },

    getJob: async (jobId: string): Promise<JobSnapshot> => {
      const snapshot = await callTdg((call) => deps.tdg.getJob(jobId, call));
      if (snapshot.missingFields.length > 0) {
        logger().warn("TDG's job answer lacked fields or carried them in an unreadable form", {
          jobId,
          missingFields: snapshot.missingFields,
        });
      }
      return snapshot;
    },
  };

  function logger(): TdgLogger {
    return currentContext()?.log ?? deps.logger ?? silentLogger;
  }
}

export type TdgActivities = ReturnType<typeof createActivities>;

/** The activity context, or undefined when called outside a worker (Context.current() would throw). */
function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export type { TdgClient, TdgClientOptions, CreateJobParams, CallOptions } from './tdg-client.js';
export { createTdgClient } from './tdg-client.js';
export type { TokenProvider, PasswordTokenProviderOptions } from './token-provider.js';
export { createPasswordTokenProvider, createStaticTokenProvider } from './token-provider.js';
export type { TdgLogger, FetchLike } from './http.js';
export * from './errors.js';
