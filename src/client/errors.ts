/**
 * Rejections a caller can act on: a stable `type` and the last status the workflow reported (or
 * visibility knew). Messages come from the workflow's own failures and Temporal's answers, which
 * never carry a secret.
 */
import type { EmailAppendJobResult, JobStatus } from '../contract/index.js';
import { TlsRefusedError } from '../platform/temporal-connection.js';
import type { ClosedJob } from './closed.js';

export const JobErrorType = {
  /** TDG reported the job FAILED; `result` still has its batch list. */
  JobFailed: 'JobFailed',
  JobDeadlineExceeded: 'JobDeadlineExceeded',
  JobCancelled: 'JobCancelled',
  /** The workflow was terminated by an operator: no result will come. */
  JobTerminated: 'JobTerminated',
  /** The account may not use TDG's asynchronous API. */
  NotPermitted: 'NotPermitted',
  /** TDG refused the credentials. */
  NotAuthenticated: 'NotAuthenticated',
  /** TDG refused the job request, or our input was invalid. */
  InvalidJobRequest: 'InvalidJobRequest',
  JobNotFound: 'JobNotFound',
  /** No workflow with this id. */
  WorkflowNotFound: 'WorkflowNotFound',
  /** `checkNow` was refused: the job is finished, or checks came too fast. */
  CheckRefused: 'CheckRefused',
  /** `cancel` was refused: the workflow has already ended (`closed` says how). */
  CancelRefused: 'CancelRefused',
  /** `startJob` with the id of a workflow that has already ended: nothing started (`closed` says how it ended). */
  WorkflowClosed: 'WorkflowClosed',
  /**
   * `startJob` with the id of a running workflow whose job has another name: nothing started, the
   * running job left alone (the same name returns it, `alreadyStarted: true`).
   */
  WorkflowIdInUse: 'WorkflowIdInUse',
  /** No worker answered within the bounded wait; the message says whether any polls the task queue. */
  WorkerUnavailable: 'WorkerUnavailable',
  /** No connection to Temporal (only a connection failure: never a refusal or a bug). */
  TemporalUnavailable: 'TemporalUnavailable',
  /**
   * Temporal refused the TLS handshake: no client certificate, one it does not trust, an expired
   * one, a server name that does not match, or TLS on one side only. The message says which.
   */
  TlsRefused: 'TlsRefused',
  /** The Temporal namespace does not exist. */
  NamespaceNotFound: 'NamespaceNotFound',
  /** The namespace lacks our search attributes: run `npm run setup`. */
  SetupRequired: 'SetupRequired',
  /** A TEMPORAL_* setting (or the Temporal config file) is invalid: the message lists every problem. */
  InvalidConfig: 'InvalidConfig',
  /** Any other failure, with the original message. */
  Unexpected: 'Unexpected',
} as const;
export type JobErrorType = (typeof JobErrorType)[keyof typeof JobErrorType];

export class TdgJobError extends Error {
  override readonly name = 'TdgJobError';

  constructor(
    readonly type: JobErrorType,
    message: string,
    readonly workflowId: string | null,
    /** The last status known, when the workflow or visibility could tell. */
    readonly status: JobStatus | null = null,
    /** For JobFailed: the result with the final batch list. */
    readonly result: EmailAppendJobResult | null = null,
    options?: { cause?: unknown; closed?: ClosedJob | null },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.closed = options?.closed ?? null;
  }

  /** For a workflow that has ended (WorkflowClosed, CheckRefused, CancelRefused): how it ended. */
  readonly closed: ClosedJob | null;

  /** One JSON-safe object: what `--json` prints under `error`. */
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      message: this.message,
      workflowId: this.workflowId,
      ...(this.closed ? { closed: this.closed } : {}),
      ...(this.status ? { status: this.status } : {}),
      ...(this.result ? { result: this.result } : {}),
    };
  }
}

/** One line from an error and its causes: the SDK wraps the server's reason ("Failed to start Workflow"). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const text = e instanceof Error ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
    const message = text.replace(/\s+/g, ' ').trim();
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}

/** Why connecting to Temporal failed: TLS refused it (a setting to fix), or it is unreachable. */
export function connectFailure(err: unknown, address: string): TdgJobError {
  return err instanceof TlsRefusedError
    ? new TdgJobError(JobErrorType.TlsRefused, err.message, null, null, null, { cause: err })
    : new TdgJobError(
        JobErrorType.TemporalUnavailable,
        `cannot reach Temporal at ${address}: ${(err as Error).message}`,
        null,
        null,
        null,
        { cause: err },
      );
}
