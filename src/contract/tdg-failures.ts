/**
 * What a TDG activity attaches to the `ApplicationFailure` it throws (its `details[0]`), defined once:
 * `activities/failures.ts` produces it, the workflow reads it with `tdgFailureDetailsOf`.
 */

/**
 * What a failed `createJob` attempt may have left at TDG:
 * - `not-sent`: nothing (the request never reached TDG, or TDG refused it): a retry is safe;
 * - `unknown`: maybe a job whose answer we could not use (a reset, a 5xx, an unreadable body);
 * - `unanswered`: maybe a job TDG was still making when we stopped waiting (our request timeout,
 *   or the attempt's own when the worker died mid-request): TDG may be slow rather than down.
 */
export type CreateOutcome = 'not-sent' | 'unknown' | 'unanswered';

/** `createOutcome` is set on createJob's failures only; null on getJob's. */
interface Outcome {
  createOutcome: CreateOutcome | null;
}

/** One variant per way a TDG call fails, told apart by `kind`. */
export type TdgFailureDetails =
  /** TDG answered with an error status (other than a 401 a new token did not cure). */
  | (Outcome & { kind: 'refused'; status: number; retryAfterMs: number | null; bodyPreview: string })
  /** TDG refused our credentials. */
  | (Outcome & { kind: 'unauthenticated'; status: number | null })
  /** No HTTP answer: DNS, refused or reset connection, TLS. */
  | (Outcome & { kind: 'unreachable'; code: string | null })
  /** No complete answer within the request timeout. */
  | (Outcome & { kind: 'timed-out' })
  /** This worker's own TDG rate limit had no call free: nothing was sent. */
  | (Outcome & { kind: 'throttled'; retryAfterMs: number })
  /** A success status with a body we cannot read. */
  | (Outcome & { kind: 'unreadable'; bodyPreview: string });

export type TdgFailureKind = TdgFailureDetails['kind'];

function field(value: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(value, key)?.value;
}

function outcomeOf(value: unknown): CreateOutcome | null {
  return value === 'not-sent' || value === 'unknown' || value === 'unanswered' ? value : null;
}

const orNull = <T>(value: unknown, test: (v: unknown) => v is T): T | null => (test(value) ? value : null);
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isString = (v: unknown): v is string => typeof v === 'string';

/**
 * A failure's `details[0]` read back, or undefined when it holds none of ours. Also reads what 1.0
 * activities attached (no `kind`; a timeout was `{ code: 'TIMEOUT', createOutcome: 'unknown' }`):
 * those failures are in the histories of jobs that started on 1.0, and replaying them must decide
 * as 1.0 did.
 */
export function tdgFailureDetailsOf(details: unknown): TdgFailureDetails | undefined {
  if (typeof details !== 'object' || details === null) return undefined;
  const kind = field(details, 'kind');
  const code = field(details, 'code');
  const createOutcome = outcomeOf(field(details, 'createOutcome'));
  const status = field(details, 'status');
  const retryAfterMs = field(details, 'retryAfterMs');
  const bodyPreview = field(details, 'bodyPreview');
  if (kind === 'timed-out' || (kind === undefined && code === 'TIMEOUT'))
    return { kind: 'timed-out', createOutcome: createOutcome === 'not-sent' ? 'not-sent' : 'unanswered' };
  if (kind === 'unreachable' || (kind === undefined && code !== undefined))
    return { kind: 'unreachable', code: orNull(code, isString), createOutcome };
  if (kind === 'refused' || (kind === undefined && isNumber(status) && isString(bodyPreview)))
    return {
      kind: 'refused',
      status: isNumber(status) ? status : 0,
      retryAfterMs: orNull(retryAfterMs, isNumber),
      bodyPreview: isString(bodyPreview) ? bodyPreview : '',
      createOutcome,
    };
  if (kind === 'unauthenticated' || (kind === undefined && status !== undefined))
    return { kind: 'unauthenticated', status: orNull(status, isNumber), createOutcome };
  if (kind === 'throttled' || (kind === undefined && isNumber(retryAfterMs)))
    return { kind: 'throttled', retryAfterMs: isNumber(retryAfterMs) ? retryAfterMs : 0, createOutcome };
  if (kind === 'unreadable' || (kind === undefined && isString(bodyPreview)))
    return { kind: 'unreadable', bodyPreview: isString(bodyPreview) ? bodyPreview : '', createOutcome };
  return undefined;
}
