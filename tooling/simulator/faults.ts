/**
 * Fault injection for the TDG API routes: the failure modes a real client must survive
 * (5xx with odd bodies, 429 with Retry-After, slow answers, unreadable 200s, lost notifications,
 * and the trailing comma from TDG's own documented example), plus the outages of a public API
 * (TDG documents none of them): HTML maintenance pages with 200, redirects to a maintenance page, brief 404s for
 * jobs that exist, connection resets, hung requests, and a full outage switch.
 */
import { ControlValidationError, knownKeysObject } from './control-object.js';
import type { Prng } from '../../src/platform/prng.js';

export interface Faults {
  /** 0..1: answer 500/502/503 (JSON or text body) instead of the real answer. */
  errorRate: number;
  /** 0..1: answer 429 with `Retry-After: <retryAfterSeconds>`. */
  rateLimitRate: number;
  retryAfterSeconds: number;
  /** Added delay per API answer: the request is handled on arrival, its answer sent this much later. */
  latencyMs: number;
  /** Extra uniform random 0..jitter per API request. */
  latencyJitterMs: number;
  /** 0..1: a 200 answer gets an unreadable body (truncated JSON or an HTML error page). */
  malformedRate: number;
  /** 0..1: silently skip a notification delivery. */
  dropNotificationRate: number;
  /** Render getJob's batch_list with a trailing comma, exactly like TDG's own example. */
  trailingCommaBodies: boolean;
  /** 0..1: a gateway answers 200 with an HTML maintenance page (`text/html`) instead of the API; no side effect. */
  htmlRate: number;
  /** 0..1: a 3xx (302, 303 or 307) with `Location` pointing at a maintenance page; no side effect. */
  redirectRate: number;
  /** 0..1: a 404 `job not found` (JSON, like the real one) even for jobs that exist; no side effect. */
  notFoundRate: number;
  /** 0..1: the connection is reset without any answer (before the request is handled). */
  resetRate: number;
  /**
   * 0..1: the request is accepted and never answered until the client gives up (its socket closes),
   * the simulator closes, or `MAX_HANG_MS` has passed (then the socket is dropped).
   */
  hangRate: number;
  /** Full outage: every TDG route (anything outside `/_sim/`) answers 503 with an HTML page. */
  outage: boolean;
  /**
   * Added delay for createJob answers only (on top of `latencyMs`): a TDG slower to create than the
   * client's request timeout still creates the job, whose id the caller then never reads.
   */
  createJobLatencyMs: number;
  /** Added delay for getJob answers only (on top of `latencyMs`). */
  getJobLatencyMs: number;
  /**
   * An eventually consistent read: for this long after a job became COMPLETED or FAILED (and
   * notified it), getJob still answers the state before (IN_PROGRESS). 0: reads are current.
   */
  terminalReadLagMs: number;
  /**
   * How a COMPLETED answer carries its batch list: `full` (the real one), `missing` (no
   * `batch_list` field), `empty` (`[]`) or `short` (the last batch left out).
   */
  completedBatchList: CompletedBatchList;
}

export type CompletedBatchList = 'full' | 'missing' | 'empty' | 'short';
export const COMPLETED_BATCH_LISTS: readonly CompletedBatchList[] = ['full', 'missing', 'empty', 'short'];

export const DEFAULT_FAULTS: Readonly<Faults> = Object.freeze({
  errorRate: 0,
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  latencyMs: 0,
  latencyJitterMs: 0,
  malformedRate: 0,
  dropNotificationRate: 0,
  trailingCommaBodies: false,
  htmlRate: 0,
  redirectRate: 0,
  notFoundRate: 0,
  resetRate: 0,
  hangRate: 0,
  outage: false,
  createJobLatencyMs: 0,
  getJobLatencyMs: 0,
  terminalReadLagMs: 0,
  completedBatchList: 'full',
});

const RATES = [
  'errorRate',
  'rateLimitRate',
  'malformedRate',
  'dropNotificationRate',
  'htmlRate',
  'redirectRate',
  'notFoundRate',
  'resetRate',
  'hangRate',
] as const;
const BOOLEANS = ['trailingCommaBodies', 'outage'] as const;
/** A hung request is dropped (socket destroyed) after this long at the latest, like a gateway's idle timeout. */
export const MAX_HANG_MS = 600_000;
const DELAYS = [
  'latencyMs',
  'latencyJitterMs',
  'createJobLatencyMs',
  'getJobLatencyMs',
  'terminalReadLagMs',
] as const;
const MAX_DELAY_MS = 600_000;
const MAX_RETRY_AFTER_SECONDS = 86_400;

/** Checks a partial Faults object (from options or `PUT /_sim/faults`); unknown keys are errors (typos). */
export function validateFaults(input: unknown): Partial<Faults> {
  const source = knownKeysObject(input, DEFAULT_FAULTS, { whole: 'faults', unknownKeys: 'fault field(s)' });
  const out: Partial<Faults> = {};
  const number = (key: string, min: number, max: number, integer: boolean): number | undefined => {
    const value = source[key];
    if (value === undefined) return undefined;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      throw new ControlValidationError(
        `${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}`,
      );
    }
    return value;
  };
  for (const key of RATES) {
    const value = number(key, 0, 1, false);
    if (value !== undefined) out[key] = value;
  }
  for (const key of DELAYS) {
    const value = number(key, 0, MAX_DELAY_MS, false);
    if (value !== undefined) out[key] = value;
  }
  const retryAfter = number('retryAfterSeconds', 0, MAX_RETRY_AFTER_SECONDS, true);
  if (retryAfter !== undefined) out.retryAfterSeconds = retryAfter;
  for (const key of BOOLEANS) {
    const value = source[key];
    if (value === undefined) continue;
    if (typeof value !== 'boolean') throw new ControlValidationError(`${key} must be true or false`);
    out[key] = value;
  }
  const batchList = source['completedBatchList'];
  if (batchList !== undefined) {
    const choice = COMPLETED_BATCH_LISTS.find((c) => c === batchList);
    if (choice === undefined) {
      throw new ControlValidationError(`completedBatchList must be ${COMPLETED_BATCH_LISTS.join(', ')}`);
    }
    out.completedBatchList = choice;
  }
  return out;
}

export type ErrorStatus = 500 | 502 | 503;
export type RedirectStatus = 302 | 303 | 307;

export type FaultDecision =
  | { kind: 'none'; delayMs: number }
  | { kind: 'outage'; delayMs: number }
  | { kind: 'reset'; delayMs: number }
  | { kind: 'hang'; delayMs: number }
  | { kind: 'rateLimit'; delayMs: number; retryAfterSeconds: number }
  | { kind: 'error'; delayMs: number; status: ErrorStatus; textBody: boolean }
  | { kind: 'redirect'; delayMs: number; status: RedirectStatus }
  | { kind: 'notFound'; delayMs: number }
  | { kind: 'html'; delayMs: number }
  | { kind: 'malformed'; delayMs: number; variant: 'truncated' | 'html' };

const ERROR_STATUSES: readonly ErrorStatus[] = [500, 502, 503];
const REDIRECT_STATUSES: readonly RedirectStatus[] = [302, 303, 307];

/**
 * One decision per API request. Always consumes the same number of draws, so the fault sequence
 * for a seed depends only on the order of requests, not on which faults happened to be enabled.
 */
export function drawFault(prng: Prng, faults: Faults): FaultDecision {
  const rateLimitDraw = prng.next();
  const errorDraw = prng.next();
  const malformedDraw = prng.next();
  const statusDraw = prng.int(ERROR_STATUSES.length);
  const styleDraw = prng.next();
  const jitterDraw = prng.next();
  const resetDraw = prng.next();
  const hangDraw = prng.next();
  const redirectDraw = prng.next();
  const notFoundDraw = prng.next();
  const htmlDraw = prng.next();
  const delayMs = faults.latencyMs + jitterDraw * faults.latencyJitterMs;
  // A down API answers at once: no added latency.
  if (faults.outage) return { kind: 'outage', delayMs: 0 };
  if (resetDraw < faults.resetRate) return { kind: 'reset', delayMs };
  if (hangDraw < faults.hangRate) return { kind: 'hang', delayMs: 0 };
  if (rateLimitDraw < faults.rateLimitRate) {
    return { kind: 'rateLimit', delayMs, retryAfterSeconds: faults.retryAfterSeconds };
  }
  if (errorDraw < faults.errorRate) {
    return { kind: 'error', delayMs, status: ERROR_STATUSES[statusDraw] ?? 500, textBody: styleDraw < 0.5 };
  }
  if (redirectDraw < faults.redirectRate) {
    return { kind: 'redirect', delayMs, status: REDIRECT_STATUSES[statusDraw] ?? 302 };
  }
  if (notFoundDraw < faults.notFoundRate) return { kind: 'notFound', delayMs };
  if (htmlDraw < faults.htmlRate) return { kind: 'html', delayMs };
  if (malformedDraw < faults.malformedRate) {
    return { kind: 'malformed', delayMs, variant: styleDraw < 0.5 ? 'truncated' : 'html' };
  }
  return { kind: 'none', delayMs };
}

export interface RawBody {
  contentType: string;
  body: string;
}

const STATUS_TEXT: Record<ErrorStatus, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function injectedErrorBody(status: ErrorStatus, textBody: boolean): RawBody {
  return textBody
    ? { contentType: 'text/plain; charset=utf-8', body: `${status} ${STATUS_TEXT[status]}` }
    : {
        contentType: 'application/json; charset=utf-8',
        body: JSON.stringify({ error: STATUS_TEXT[status] }),
      };
}

/** An unreadable replacement for a 200 body: cut mid-JSON, or a proxy's HTML page. */
export function malformedBody(variant: 'truncated' | 'html', realBody: string): RawBody {
  if (variant === 'truncated') {
    // Half of a JSON object never parses: its closing brace is gone.
    return {
      contentType: 'application/json; charset=utf-8',
      body: realBody.slice(0, Math.max(1, Math.floor(realBody.length / 2))),
    };
  }
  return {
    contentType: 'text/html; charset=utf-8',
    body: '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>\n',
  };
}

/** Where an injected redirect points: a maintenance page, as a load balancer in maintenance mode would. */
export const MAINTENANCE_URL = 'https://status.thedatagroup.invalid/maintenance';

/** A maintenance page served with 200 by a gateway in front of the API. */
export function maintenancePage(): RawBody {
  return {
    contentType: 'text/html; charset=utf-8',
    body: '<!DOCTYPE html>\n<html><head><title>Scheduled maintenance</title></head><body><h1>We&rsquo;ll be back soon</h1><p>The API is undergoing scheduled maintenance. Please try again later.</p></body></html>\n',
  };
}

/** What a down API (its load balancer with no healthy backend) answers: 503 with an HTML page. */
export function outagePage(): RawBody {
  return {
    contentType: 'text/html; charset=utf-8',
    body: '<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head><body><h1>503 Service Temporarily Unavailable</h1></body></html>\n',
  };
}
