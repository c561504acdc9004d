/**
 * HTTP client for TDG's asynchronous job URIs (create and retrieve). It knows TDG's wire format and
 * HTTP semantics, nothing about Temporal: the activity layer maps its typed errors to failures.
 */
import type { JobSnapshot, NotificationMethod, OutputFormat } from '../contract/definitions.js';
import type { CallClass } from '../contract/priority.js';
import {
  createOutcomeOf,
  previewBody,
  TdgAuthError,
  TdgError,
  TdgMalformedResponseError,
  TdgThrottledError,
  TdgTimeoutError,
} from './errors.js';
import {
  createKeepAliveFetch,
  describeRequest,
  joinUrl,
  send,
  silentLogger,
  type FetchLike,
  type RawResponse,
  type TdgLogger,
} from './http.js';
import { normalizeJob, parseJsonLeniently, readJobId } from './normalize.js';
import { createRateLimiter } from './rate-limiter.js';
import { DEFAULT_MAX_RETRY_AFTER_MS, errorForStatus, isSuccess } from './status-errors.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './request-budget.js';
import type { TokenProvider, TokenRequest } from './token-provider.js';

export interface TdgClientOptions {
  /** e.g. https://api.thedatagroup.com, without the version. */
  baseUrl: string;
  /** 'v3' in every TDG example. */
  apiVersion: string;
  apiKey: string;
  tokens: TokenProvider;
  /**
   * TDG_REQUEST_TIMEOUT: covers connecting, the headers and the whole body, of each call and of each
   * token request (passed to `tokens.get`). Default 7 s. A call's `escalatedRequestTimeoutMs`
   * replaces it for that call's job request (activities/call-budget.ts has the rule).
   */
  requestTimeoutMs?: number;
  /** Defaults to node-fetch over keep-alive agents. */
  fetch?: FetchLike;
  logger?: TdgLogger;
  /** Upper bound on an honoured Retry-After. Default 15 min. */
  maxRetryAfterMs?: number;
  now?: () => number;
  /**
   * Job calls per second this client may send (a burst of one second's worth, then paced);
   * unlimited when absent. Enforced here, where the call is made, because `getJob` may run as a
   * local activity, which the task queue's rate limit does not see.
   */
  maxCallsPerSecond?: number;
}

/**
 * How a call meets the client's rate limit: `wait` queues for a token (abortable, bounded by
 * `deadlineAt`); `now` takes one only if it is free at once and otherwise fails at once with
 * TdgThrottledError (a local activity must not wait: it would hold its workflow task).
 */
export type RateLimitMode = 'wait' | 'now';

export interface CreateJobParams {
  name: string;
  outputFormat?: OutputFormat;
  /** Must be https for the real TDG; sent only together with `notificationMethod`. */
  notificationUrl?: string;
  notificationMethod?: NotificationMethod;
}

/** Per-call context from the activity: its cancellation, its time, its (context-tagged) logger. */
export interface CallOptions {
  signal?: AbortSignal;
  logger?: TdgLogger;
  /**
   * This call's job request timeout instead of the client's `requestTimeoutMs`: the activity
   * escalates it on a retried attempt, up to MAX_TDG_REQUEST_TIMEOUT_MS (activities/call-budget.ts).
   * Token requests keep `requestTimeoutMs`.
   */
  escalatedRequestTimeoutMs?: number;
  /**
   * Epoch ms by which the call must be over (the activity attempt's end): the wait for a rate-limit
   * token ends early enough to leave the request its whole (escalated) timeout, the wait for an
   * authorization token ends by it, and every request's timeout is cut to the time left before it.
   */
  deadlineAt?: number;
  /** Default `wait`. */
  rateLimit?: RateLimitMode;
  /**
   * Whether a person waits for this call (the activity's task-queue priority says): an interactive
   * call is served before background ones and may take the token they leave in reserve. Default
   * `background`.
   */
  callClass?: CallClass;
}

export interface TdgClient {
  /** The configured request timeout (TDG_REQUEST_TIMEOUT); a call's `escalatedRequestTimeoutMs` replaces it. */
  readonly requestTimeoutMs: number;
  /** Creates an Asynchronous Job; resolves to TDG's job id. */
  createJob(params: CreateJobParams, call?: CallOptions): Promise<string>;
  getJob(jobId: string, call?: CallOptions): Promise<JobSnapshot>;
}

const JOB_PATH = ['async', 'append', 'email', 'job'] as const;

interface JsonRequest {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  /** Values to scrub from messages besides the API key and token, e.g. the notification URL's signature. */
  extraSecrets?: string[];
  jobId?: string;
  /** Called once the token is in hand and the request itself is about to be sent. */
  onSend?: () => void;
}

export function createTdgClient(options: TdgClientOptions): TdgClient {
  const fetch = options.fetch ?? createKeepAliveFetch();
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const tokenRequest: TokenRequest = { requestTimeoutMs };
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const now = options.now ?? Date.now;
  const jobUrl = joinUrl(options.baseUrl, options.apiVersion, ...JOB_PATH);
  const limiter =
    options.maxCallsPerSecond === undefined
      ? null
      : // One token kept for people: a start or a manual check is sent at once, not after the fleet's checks.
        createRateLimiter({ perSecond: options.maxCallsPerSecond, now, interactiveReserve: 1 });

  /** Takes this call's rate-limit token, or throws without sending (TdgThrottledError, or the abort reason). */
  async function admit(call: CallOptions, escalatedRequestTimeoutMs: number): Promise<void> {
    if (limiter === null) return;
    if (call.rateLimit === 'now') {
      const taken = limiter.tryTake(call.callClass);
      if (!taken.ok) {
        throw new TdgThrottledError(
          `no TDG call slot of this worker's rate limit is free now (next in ${taken.retryAfterMs} ms); the request was not sent`,
          taken.retryAfterMs,
        );
      }
      return;
    }
    await limiter.take({
      ...(call.signal ? { signal: call.signal } : {}),
      ...(call.callClass ? { callClass: call.callClass } : {}),
      // A token that arrives later would leave the request less than its timeout.
      ...(call.deadlineAt === undefined ? {} : { deadlineAt: call.deadlineAt - escalatedRequestTimeoutMs }),
    });
  }

  /**
   * The token for a call, waited for no later than the call's deadline: a refresh after a 401 may
   * start when the escalated request has used the attempt up. The token request itself keeps its
   * `requestTimeoutMs` and goes on for the other calls that share it (the provider's single flight).
   */
  async function tokenFor(call: CallOptions, describe: string): Promise<string> {
    const token = options.tokens.get(tokenRequest);
    const leftMs = call.deadlineAt === undefined ? Infinity : Math.max(0, call.deadlineAt - now());
    // The token request's own timeout ends first: nothing to add.
    if (leftMs >= requestTimeoutMs) return token;
    const late = new TdgTimeoutError(
      `No TDG authorization token for ${describe} within the ${leftMs} ms left before the attempt's deadline`,
      leftMs,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(late), leftMs);
    });
    try {
      return await Promise.race([token, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends with the current token; on 401 renews the token once, since TDG tokens expire after 8 h. */
  async function request(req: JsonRequest, call: CallOptions): Promise<{ text: string; secrets: string[] }> {
    const describe = describeRequest(req.method, req.url);
    const escalatedRequestTimeoutMs = call.escalatedRequestTimeoutMs ?? requestTimeoutMs;
    // The deadline clamp. An escalated request (up to 28 s) after a token request no longer fits the
    // attempt the start-up check sized for four requests of `requestTimeoutMs`: cut it to the time
    // left before the attempt's deadline, so our own TdgTimeoutError says what happened instead of
    // Temporal killing the attempt with its outcome unknown (activities/call-budget.ts has the rule).
    const clampedRequestTimeoutMs = (): number =>
      call.deadlineAt === undefined
        ? escalatedRequestTimeoutMs
        : Math.max(1, Math.min(escalatedRequestTimeoutMs, call.deadlineAt - now()));
    const attempt = async (token: string): Promise<{ response: RawResponse; secrets: string[] }> => {
      const secrets = [options.apiKey, token, ...(req.extraSecrets ?? [])];
      const headers: Record<string, string> = {
        'x-api-key': options.apiKey,
        AuthorizationToken: token,
        // TDG's examples send Content-Type on GET too
        'Content-Type': 'application/json',
        Accept: 'application/json',
      };
      const response = await send({
        fetch,
        method: req.method,
        url: req.url,
        headers,
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
        requestTimeoutMs: clampedRequestTimeoutMs(),
        ...(call.signal ? { signal: call.signal } : {}),
        describe,
        secrets,
      });
      return { response, secrets };
    };

    await admit(call, escalatedRequestTimeoutMs);
    const firstToken = await tokenFor(call, describe);
    req.onSend?.();
    let { response, secrets } = await attempt(firstToken);
    if (response.status === 401) {
      options.tokens.invalidate(firstToken);
      const secondToken = await tokenFor(call, describe);
      if (secondToken === firstToken) {
        throw new TdgAuthError(
          `TDG refused the authorization token for ${describe} (HTTP 401) and it cannot be renewed: ` +
            `a static TDG_AUTH_TOKEN expires after 8 hours; set a fresh one or use TDG_USERNAME/TDG_PASSWORD`,
          401,
        );
      }
      ({ response, secrets } = await attempt(secondToken));
      if (response.status === 401) {
        options.tokens.invalidate(secondToken);
        throw new TdgAuthError(
          `TDG refused a freshly obtained authorization token for ${describe} (HTTP 401 twice): ` +
            `check that TDG_API_KEY belongs to the same account as TDG_USERNAME`,
          401,
        );
      }
    }
    if (!isSuccess(response.status)) {
      throw errorForStatus(response, {
        describe,
        secrets,
        nowMs: now(),
        maxRetryAfterMs,
        ...(req.jobId === undefined ? {} : { jobId: req.jobId }),
      });
    }
    return { text: response.text, secrets };
  }

  /** Parses a 2xx body and applies `read`, re-labelling any failure with the request and a redacted preview. */
  function readBody<T>(
    describe: string,
    text: string,
    secrets: string[],
    read: (value: unknown) => T,
    logger: TdgLogger,
  ): T {
    try {
      const { value, lenient } = parseJsonLeniently(text);
      if (lenient) {
        logger.warn(`TDG's answer to ${describe} was not strict JSON (trailing comma); read it leniently`, {
          bodyPreview: previewBody(text, secrets),
        });
      }
      return read(value);
    } catch (err) {
      if (err instanceof TdgMalformedResponseError) {
        throw new TdgMalformedResponseError(
          `TDG's answer to ${describe} is unreadable: ${err.detail}`,
          previewBody(text, secrets),
        );
      }
      throw err;
    }
  }

  return {
    requestTimeoutMs,

    async createJob(params, call = {}) {
      if ((params.notificationUrl === undefined) !== (params.notificationMethod === undefined)) {
        // TDG requires the method with the URL; one without the other is a bug in the caller
        throw new TypeError('createJob needs notificationUrl and notificationMethod together, or neither');
      }
      const body: Record<string, string> = {
        name: params.name,
        output_format: params.outputFormat ?? 'JSON',
      };
      const extraSecrets: string[] = [];
      if (params.notificationUrl !== undefined && params.notificationMethod !== undefined) {
        body['notification_URL'] = params.notificationUrl;
        body['notification_method'] = params.notificationMethod;
        // TDG may echo the URL in an error; its signature would let anyone send the workflow hints
        extraSecrets.push(...signatureOf(params.notificationUrl));
      }
      let sent = false;
      const req: JsonRequest = {
        method: 'POST',
        url: jobUrl,
        body,
        extraSecrets,
        onSend: () => (sent = true),
      };
      try {
        const { text, secrets } = await request(req, call);
        return readBody(describeRequest('POST', jobUrl), text, secrets, readJobId, call.logger ?? logger());
      } catch (err) {
        // Whether a retry may create a second TDG job: the workflow marks it if one follows.
        if (err instanceof TdgError) err.createOutcome = sent ? createOutcomeOf(err) : 'not-sent';
        throw err;
      }
    },

    async getJob(jobId, call = {}) {
      const url = `${jobUrl}/${encodeURIComponent(jobId)}`;
      const { text, secrets } = await request({ method: 'GET', url, jobId }, call);
      return readBody(
        describeRequest('GET', url),
        text,
        secrets,
        (value) => normalizeJob(jobId, value),
        call.logger ?? logger(),
      );
    },
  };

  function logger(): TdgLogger {
    return options.logger ?? silentLogger;
  }
}

function signatureOf(notificationUrl: string): string[] {
  try {
    const sig = new URL(notificationUrl).searchParams.get('sig');
    return sig ? [sig] : [];
  } catch {
    return [];
  }
}
