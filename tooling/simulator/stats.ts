/** Counters behind `GET /_sim/stats`: what tests and benchmarks assert on. */

export const API_ROUTES = ['POST /auth', 'POST /job', 'GET /job'] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

export interface NotificationCounters {
  /** Notifications handed to delivery (not dropped); each ends delivered or failed. */
  sent: number;
  delivered: number;
  /** Gave up: a 3xx/4xx answer, or network errors/5xx after all retries. */
  failed: number;
  /** Skipped on purpose by `dropNotificationRate`. */
  dropped: number;
  /** HTTP requests made, retries included. */
  attempts: number;
}

export interface FaultCounters {
  error: number;
  rateLimit: number;
  malformed: number;
  html: number;
  redirect: number;
  notFound: number;
  reset: number;
  hang: number;
  outage: number;
  /** getJob answers that showed the state before a terminal one (`terminalReadLagMs`). */
  laggingRead: number;
  /** COMPLETED answers whose batch list was left out or cut (`completedBatchList`). */
  incompleteBatchList: number;
}

export interface StatsView {
  /** API requests by route; `other` is any unknown non-`/_sim/` route. */
  requests: Record<ApiRoute | 'other', number>;
  /** API responses by route and status code. */
  responses: Record<ApiRoute, Record<string, number>>;
  jobsCreated: { total: number; byName: Record<string, number> };
  notifications: NotificationCounters & { pending: number };
  /** Requests answered (or not) by an injected fault, by kind; `outage` counts requests refused by the outage switch. */
  faultsInjected: FaultCounters;
  tokensIssued: number;
}

export class SimulatorStats {
  readonly requests: Record<ApiRoute | 'other', number> = {
    'POST /auth': 0,
    'POST /job': 0,
    'GET /job': 0,
    other: 0,
  };
  private readonly responses = new Map<ApiRoute, Map<number, number>>();
  // A Map, not an object: job names are caller input ("__proto__" must stay just a name).
  private readonly jobsByName = new Map<string, number>();
  private jobsTotal = 0;
  readonly notifications: NotificationCounters = {
    sent: 0,
    delivered: 0,
    failed: 0,
    dropped: 0,
    attempts: 0,
  };
  readonly faultsInjected: FaultCounters = {
    error: 0,
    rateLimit: 0,
    malformed: 0,
    html: 0,
    redirect: 0,
    notFound: 0,
    reset: 0,
    hang: 0,
    outage: 0,
    laggingRead: 0,
    incompleteBatchList: 0,
  };
  tokensIssued = 0;

  countResponse(route: ApiRoute, status: number): void {
    const byStatus = this.responses.get(route) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.responses.set(route, byStatus);
  }

  countJob(name: string): void {
    this.jobsTotal++;
    this.jobsByName.set(name, (this.jobsByName.get(name) ?? 0) + 1);
  }

  toJSON(): StatsView {
    const responses = (route: ApiRoute): Record<string, number> =>
      Object.fromEntries([...(this.responses.get(route) ?? [])].map(([status, n]) => [String(status), n]));
    const n = this.notifications;
    return {
      requests: { ...this.requests },
      responses: {
        'POST /auth': responses('POST /auth'),
        'POST /job': responses('POST /job'),
        'GET /job': responses('GET /job'),
      },
      jobsCreated: { total: this.jobsTotal, byName: Object.fromEntries(this.jobsByName) },
      notifications: { ...n, pending: n.sent - n.delivered - n.failed },
      faultsInjected: { ...this.faultsInjected },
      tokensIssued: this.tokensIssued,
    };
  }
}
