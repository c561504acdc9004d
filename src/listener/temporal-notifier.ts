/**
 * WorkflowNotifier over the real Temporal client. Temporal answers NOT_FOUND both for an id it
 * has never seen and for a signal to a finished workflow; TDG must stop retrying in both cases
 * but the answers differ (404 vs 200), so a NOT_FOUND is followed by a describe() to tell them apart.
 */
import {
  isGrpcServiceError,
  ServiceError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionStatusName,
} from '@temporalio/client';
import { hintSignal, type NotificationHint } from '../contract/definitions.js';
import type { NotifyOutcome, WorkflowNotifier } from './notifier.js';

export const DEFAULT_SIGNAL_TIMEOUT_MS = 5_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 2_000;

/** gRPC status codes (from the gRPC spec) that mean "Temporal is not answering right now". */
const TRANSIENT_GRPC_CODES: ReadonlySet<number> = new Set([
  1, // CANCELLED
  2, // UNKNOWN
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  10, // ABORTED
  13, // INTERNAL
  14, // UNAVAILABLE
]);

const OPEN_STATUSES: ReadonlySet<WorkflowExecutionStatusName> = new Set(['RUNNING', 'PAUSED']);

/** Temporal failed in a way that retrying will not fix (e.g. wrong namespace, permission denied). */
export class TemporalNotifyError extends Error {
  override name = 'TemporalNotifyError';
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
  }
}

export interface TemporalNotifierOptions {
  /** Bound on one notification (signal, plus describe when needed), so a hung Temporal piles nothing up. */
  signalTimeoutMs?: number;
  healthTimeoutMs?: number;
}

type Classified = 'not-found' | 'unavailable' | 'permanent';

function grpcCodeOf(error: unknown): number | undefined {
  if (isGrpcServiceError(error)) return error.code;
  if (error instanceof ServiceError && isGrpcServiceError(error.cause)) return error.cause.code;
  return undefined;
}

export function classifyTemporalError(error: unknown): Classified {
  if (error instanceof WorkflowNotFoundError) return 'not-found';
  const code = grpcCodeOf(error);
  if (code !== undefined) return TRANSIENT_GRPC_CODES.has(code) ? 'unavailable' : 'permanent';
  // A ServiceError without a gRPC cause is the client failing to make the call at all.
  if (error instanceof ServiceError) return 'unavailable';
  return 'permanent';
}

/** `work`'s result, or `fallback` once `ms` have passed (a later rejection of `work` stays handled). */
function settleWithin<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface TemporalNotifier extends WorkflowNotifier {
  /**
   * Resolves once no call to Temporal is pending. Await it before `connection.close()`: the
   * client's retry interceptor crashes the process if its retry timer fires on a closed channel.
   */
  idle(): Promise<void>;
}

export function createTemporalNotifier(client: Client, opts: TemporalNotifierOptions = {}): TemporalNotifier {
  const signalTimeoutMs = opts.signalTimeoutMs ?? DEFAULT_SIGNAL_TIMEOUT_MS;
  const healthTimeoutMs = opts.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;

  const outcomeOf = (error: unknown, during: string): NotifyOutcome => {
    const kind = classifyTemporalError(error);
    if (kind === 'permanent') throw new TemporalNotifyError(`${during} failed`, { cause: error });
    return kind;
  };

  /** After a NOT_FOUND: does the workflow exist (closed, or open again after a continue-as-new)? */
  const statusAfterNotFound = async (workflowId: string): Promise<NotifyOutcome | 'open'> => {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      return OPEN_STATUSES.has(description.status.name) ? 'open' : 'closed';
    } catch (error) {
      return outcomeOf(error, 'describe');
    }
  };

  const signal = async (workflowId: string, hint: NotificationHint): Promise<NotifyOutcome> => {
    try {
      await client.workflow.getHandle(workflowId).signal(hintSignal, hint);
      return 'signalled';
    } catch (error) {
      return outcomeOf(error, 'signal');
    }
  };

  const deliver = async (workflowId: string, hint: NotificationHint): Promise<NotifyOutcome> => {
    const first = await signal(workflowId, hint);
    if (first !== 'not-found') return first;
    const status = await statusAfterNotFound(workflowId);
    if (status !== 'open') return status;
    // The run we aimed at closed as a new one started (continue-as-new): aim again, once.
    const second = await signal(workflowId, hint);
    return second === 'not-found' ? 'unavailable' : second;
  };

  const probe = async (): Promise<boolean> => {
    try {
      await client.connection.withDeadline(Date.now() + healthTimeoutMs, () =>
        client.connection.workflowService.getSystemInfo({}),
      );
      return true;
    } catch {
      return false;
    }
  };

  // Calls still running after their answer was given (see settleWithin); idle() waits for them.
  const inFlight = new Set<Promise<unknown>>();
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    void work.then(
      () => inFlight.delete(work),
      () => inFlight.delete(work),
    );
    return work;
  };

  // The gRPC deadline stops the calls; the race caps the wait, because the client's retry
  // interceptor may sleep past the deadline before it notices (a late signal is a harmless hint).
  return {
    notify: (workflowId, hint) =>
      settleWithin(
        tracked(client.withDeadline(Date.now() + signalTimeoutMs, () => deliver(workflowId, hint))),
        signalTimeoutMs,
        'unavailable',
      ),
    healthy: () => settleWithin(tracked(probe()), healthTimeoutMs, false),
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
