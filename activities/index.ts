/**
 * The Temporal activities: thin wrappers that call TDG through the client and turn its errors into
 * typed ApplicationFailures. Workflow code imports only the `TdgActivities` type from here.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  TDG_ACCESS_PROBE_JOB_ID,
  callClassOf,
  type CreateJobRequest,
  type CreateJobResult,
  type JobSnapshot,
  type TdgAccessReport,
} from '../src/contract/index.js';
import type { CallOptions, CreateJobParams, TdgClient, TdgLogger } from '../src/tdg/index.js';
import { attemptDeadlineAt, escalatedRequestTimeoutMs } from './call-budget.js';
import { toApplicationFailure } from './failures.js';

const silentLogger: TdgLogger = { info: () => undefined, warn: () => undefined };

export interface ActivityDeps {
  tdg: TdgClient;
  /** The name TDG gets: it carries the workflow id, so a duplicate job stays traceable. */
  jobName: (name: string, workflowId: string) => string;
  /**
   * The signed notification URL for a workflow, built in the worker so the signature never enters
   * workflow history; null: no listener is configured, so jobs are followed by polling alone.
   */
  notificationUrl: ((workflowId: string) => string) | null;
  /** Used outside an activity context (scripts, plain unit tests). */
  logger?: TdgLogger;
}

export function createActivities(deps: ActivityDeps) {
  /**
   * Runs a client call with the activity's cancellation, time and logger; maps client errors to
   * failures. A local activity never waits for a rate-limit token: it would hold its workflow task
   * (and heartbeat it), so without a free token it fails at once with `RateLimited` and the workflow
   * goes on with an activity, which the task queue's rate limit paces. An activity waits, but only
   * as long as its attempt leaves its request the whole timeout. The request timeout escalates on a
   * retry and the attempt's deadline bounds it: the rule is `escalatedRequestTimeoutMs`'s.
   */
  async function callTdg<T>(
    run: (call: CallOptions) => Promise<T>,
    workflowRequestTimeoutMs?: number,
  ): Promise<T> {
    const context = currentContext();
    const call: CallOptions = { logger: context?.log ?? deps.logger ?? silentLogger };
    if (context) {
      const { info } = context;
      call.signal = context.cancellationSignal;
      call.rateLimit = info.isLocal ? 'now' : 'wait';
      // The priority the workflow gave the activity says whether a person waits (a local activity
      // has none, so it is background); the rate limiter serves those first.
      call.callClass = callClassOf(info.isLocal ? undefined : info.priority?.priorityKey);
      // A local attempt keeps the configured timeout: a longer one would hold its workflow task.
      const attempt = info.isLocal ? 1 : info.attempt;
      call.escalatedRequestTimeoutMs = escalatedRequestTimeoutMs(
        deps.tdg.requestTimeoutMs,
        attempt,
        workflowRequestTimeoutMs,
      );
      const deadlineAt = attemptDeadlineAt(info, Date.now());
      if (deadlineAt !== undefined) call.deadlineAt = deadlineAt;
    } else if (workflowRequestTimeoutMs !== undefined) {
      call.escalatedRequestTimeoutMs = escalatedRequestTimeoutMs(
        deps.tdg.requestTimeoutMs,
        1,
        workflowRequestTimeoutMs,
      );
    }
    try {
      return await run(call);
    } catch (err) {
      throw toApplicationFailure(err);
    }
  }

  return {
    // Arrow properties, not methods: the worker registers and calls them detached from this object.
    createJob: async (req: CreateJobRequest): Promise<CreateJobResult> => {
      const params: CreateJobParams = {
        name: deps.jobName(req.name, req.workflowId),
        outputFormat: req.outputFormat,
      };
      if (req.notificationMethod !== null && deps.notificationUrl !== null) {
        params.notificationUrl = deps.notificationUrl(req.workflowId);
        params.notificationMethod = req.notificationMethod;
      }
      const jobId = await callTdg((call) => deps.tdg.createJob(params, call), req.requestTimeoutMs);
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

    /**
     * The rollout gate's probe: a token and a `getJob` for a job that cannot exist, so TDG's 404
     * says it was reached with credentials it accepted. Creates nothing; any other failure (bad
     * credentials, no permission, unreachable) fails it as `getJob` would.
     */
    checkTdgAccess: async (): Promise<TdgAccessReport> => {
      try {
        await callTdg((call) => deps.tdg.getJob(TDG_ACCESS_PROBE_JOB_ID, call));
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.type === FailureType.JobNotFound)) throw err;
      }
      logger().info('TDG reached with accepted credentials (rollout gate)', {});
      return { checkedAt: new Date().toISOString() };
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
