/** `/_sim/`: local control and counters for tests, demos and benchmarks (no API key, no faults). */
import type { FastifyInstance } from 'fastify';
import { validateFaults, type Faults } from './faults.js';
import { ApiError } from './http-errors.js';
import type { JobCounts } from '../../src/contract/index.js';
import { observe, type JobState, type NotificationOutcome, type SimJob } from './jobs.js';
import type { Outcome } from './scenario.js';
import { validateSettings, type NotificationMode, type Settings } from './settings.js';
import type { StatsView } from './stats.js';

export interface NotificationView {
  state: JobState;
  detectedAt: string;
  sentAt: string | null;
  answeredAt: string | null;
  status: number | null;
  attempts: number;
  outcome: NotificationOutcome;
  error: string | null;
}

export interface JobView {
  jobId: string;
  name: string;
  scenario: {
    durationMs: number;
    batches: number;
    outcome: Outcome;
    checks: number | null;
    notify: NotificationMode;
    createLatencyMs?: number;
    getLatencyMs?: number;
  };
  createdAt: string;
  terminalAt: string | null;
  state: JobState;
  counts: JobCounts;
  batchList: string[];
  getJobCalls: number;
  notification: { url: string; method: 'GET' | 'POST' } | null;
  notifications: NotificationView[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

export function jobView(job: SimJob, now: number): JobView {
  const progress = observe(job, now);
  return {
    jobId: job.id,
    name: job.name,
    scenario: { ...job.scenario },
    createdAt: iso(job.createdAt),
    terminalAt: isoOrNull(job.terminalAt),
    state: progress.state,
    counts: progress.counts,
    batchList: progress.batchList,
    getJobCalls: job.getJobCalls,
    notification: job.notification === null ? null : { ...job.notification },
    notifications: job.notifications.map((n) => ({
      state: n.state,
      detectedAt: iso(n.detectedAt),
      sentAt: isoOrNull(n.sentAt),
      answeredAt: isoOrNull(n.answeredAt),
      status: n.status,
      attempts: n.attempts,
      outcome: n.outcome,
      error: n.error,
    })),
  };
}

/** What `/_sim/` serves; the Simulator (app.ts) is these plus its lifecycle. */
export interface SimulatorControls {
  stats(): StatsView;
  jobs(): JobView[];
  job(jobId: string): JobView | null;
  faults(): Faults;
  /** Validates and merges; throws ControlValidationError. */
  setFaults(partial: Partial<Faults>): Faults;
  settings(): Settings;
  /** Validates and merges; throws ControlValidationError. Applies to jobs created afterwards. */
  setSettings(partial: Partial<Settings>): Settings;
  /** Same as `POST /_sim/reset`. */
  reset(): void;
}

// Handlers are synchronous: fastify sends a returned value and turns a thrown error into the error
// handler's answer (a ControlValidationError: 400 with what is wrong).
export function registerControlRoutes(app: FastifyInstance, deps: SimulatorControls): void {
  app.get('/_sim/stats', () => deps.stats());
  app.get('/_sim/jobs', () => ({ jobs: deps.jobs() }));
  app.get<{ Params: { jobId: string } }>('/_sim/jobs/:jobId', (request) => {
    const view = deps.job(request.params.jobId);
    if (view === null) throw new ApiError(404, `job not found: ${request.params.jobId.slice(0, 100)}`);
    return view;
  });
  app.get('/_sim/faults', () => deps.faults());
  app.put('/_sim/faults', (request) => deps.setFaults(validateFaults(request.body)));
  app.get('/_sim/settings', () => deps.settings());
  app.put('/_sim/settings', (request) => deps.setSettings(validateSettings(request.body)));
  app.post('/_sim/reset', () => {
    deps.reset();
    return { ok: true };
  });
}
