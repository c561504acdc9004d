/**
 * Delivers job-state notifications to the caller's notification URL the way a real webhook
 * sender would: one at a time per job (so the terminal one never overtakes an earlier one),
 * a timeout per attempt, retries on network errors and 5xx, and 4xx as a final answer.
 */
import type { JobState, NotificationRecord, NotificationTarget, SimJob } from './jobs.js';
import type { FastifyBaseLogger } from 'fastify';
import { redactUrl } from '../../src/platform/log.js';
import type { Prng } from '../../src/platform/prng.js';
import type { NotificationCounters } from './stats.js';

export interface NotifierOptions {
  now: () => number;
  logger: Pick<FastifyBaseLogger, 'info' | 'warn'>;
  /** Draws for `dropNotificationRate`; its own stream so wall-clock timing never shifts API fault draws. */
  prng: () => Prng;
  dropRate: () => number;
  /** Waits before retry 1, 2, 3, ... (the length is the number of retries). */
  retryDelaysMs: readonly number[];
  timeoutMs: number;
  fields: NotificationFields;
}

/**
 * The names under which a notification carries the job id and its state (GET: query parameters,
 * POST: JSON body fields). TDG does not document them: when the real names are known,
 * matching them is a configuration change.
 */
export interface NotificationFields {
  jobId: string;
  state: string;
}

export const DEFAULT_NOTIFICATION_FIELDS: Readonly<NotificationFields> = Object.freeze({
  jobId: 'job_id',
  state: 'state',
});
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [200, 1_000, 3_000];
export const DEFAULT_NOTIFICATION_TIMEOUT_MS = 5_000;

/** GET notifications carry the job id and state as query parameters, appended so the existing query (e.g. `?sig=`) is kept byte for byte. */
export function notificationGetUrl(
  url: string,
  jobId: string,
  state: string,
  fields: NotificationFields = DEFAULT_NOTIFICATION_FIELDS,
): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  const separator = !base.includes('?') ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&';
  const param = (name: string, value: string): string =>
    `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  return `${base}${separator}${param(fields.jobId, jobId)}&${param(fields.state, state)}`;
}

/** The POST notification's JSON body: the same fields as the GET's query. */
export function notificationPostBody(
  jobId: string,
  state: string,
  fields: NotificationFields = DEFAULT_NOTIFICATION_FIELDS,
): string {
  return JSON.stringify({ [fields.jobId]: jobId, [fields.state]: state });
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.name}: ${error.message}${cause}`;
  }
  return String(error);
}

export class Notifier {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(private readonly options: NotifierOptions) {}

  /** Queues a notification for `state`; `counters` is captured so a reset never mixes old deliveries into new counts. */
  notify(job: SimJob, target: NotificationTarget, state: JobState, counters: NotificationCounters): void {
    const record: NotificationRecord = {
      state,
      detectedAt: this.options.now(),
      sentAt: null,
      answeredAt: null,
      status: null,
      attempts: 0,
      outcome: 'pending',
      error: null,
    };
    job.notifications.push(record);
    if (this.options.prng().next() < this.options.dropRate()) {
      record.outcome = 'dropped';
      counters.dropped++;
      this.options.logger.info({ jobId: job.id, state }, 'notification dropped (fault injection)');
      return;
    }
    counters.sent++;
    const previous = this.chains.get(job.id) ?? Promise.resolve();
    const delivery = previous.then(() => this.deliver(job.id, target, record, counters));
    this.chains.set(job.id, delivery);
    this.inFlight.add(delivery);
    void delivery.finally(() => {
      this.inFlight.delete(delivery);
      if (this.chains.get(job.id) === delivery) this.chains.delete(job.id);
    });
  }

  /** Resolves once every queued delivery (including ones queued meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Aborts in-flight requests and pending retries; their records end as failed. */
  close(): void {
    this.abort.abort(new Error('simulator closed'));
  }

  private async deliver(
    jobId: string,
    target: NotificationTarget,
    record: NotificationRecord,
    counters: NotificationCounters,
  ): Promise<void> {
    const { now, logger, retryDelaysMs, timeoutMs, fields } = this.options;
    const finish = (outcome: 'delivered' | 'failed'): void => {
      record.outcome = outcome;
      record.answeredAt = now();
      counters[outcome]++;
      const meta = {
        jobId,
        state: record.state,
        url: redactUrl(target.url),
        status: record.status,
        attempts: record.attempts,
      };
      if (outcome === 'delivered') logger.info(meta, 'notification delivered');
      else logger.warn({ ...meta, error: record.error }, 'notification failed');
    };
    for (let attempt = 0; ; attempt++) {
      if (this.abort.signal.aborted) {
        record.error = 'simulator closed';
        return finish('failed');
      }
      record.attempts++;
      counters.attempts++;
      record.sentAt ??= now();
      let retryable = true;
      try {
        const response = await fetch(
          target.method === 'GET' ? notificationGetUrl(target.url, jobId, record.state, fields) : target.url,
          {
            method: target.method,
            headers: {
              'user-agent': 'tdg-simulator',
              ...(target.method === 'POST' ? { 'content-type': 'application/json' } : {}),
            },
            body: target.method === 'POST' ? notificationPostBody(jobId, record.state, fields) : undefined,
            redirect: 'manual',
            signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), this.abort.signal]),
          },
        );
        await response.body?.cancel().catch(() => undefined);
        record.status = response.status;
        if (response.status >= 200 && response.status < 300) {
          record.error = null;
          return finish('delivered');
        }
        record.error = `HTTP ${response.status}`;
        retryable = response.status >= 500;
      } catch (error) {
        record.error = errorText(error);
      }
      const delay = retryDelaysMs[attempt];
      if (!retryable || delay === undefined) return finish('failed');
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.abort.signal;
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
