/**
 * The job model and its progression. Progress is a pure function of the clock (or of the number
 * of getJob calls for `checks=N` jobs), never of timers, so an injected clock gives exact,
 * reproducible answers.
 */
import {
  isTerminalState,
  noBatches,
  type JobCounts,
  type NotificationMethod,
} from '../../src/contract/index.js';
import type { Prng } from '../../src/platform/prng.js';
import type { Outcome, Scenario } from './scenario.js';

export type JobState = 'WAITING_FOR_UPLOAD' | 'QUEUED' | 'IN_PROGRESS' | Outcome;

export interface JobProgress {
  state: JobState;
  counts: JobCounts;
  batchList: string[];
}

export interface JobPlan {
  batchIds: readonly string[];
  /** Indexes of the batches that fail (only for outcome FAILED). */
  failing: ReadonlySet<number>;
  outcome: Outcome;
}

/** Fractions of the job's life at which the job leaves WAITING_FOR_UPLOAD and QUEUED. */
export const UPLOAD_END = 0.1;
export const QUEUE_END = 0.25;

type BatchPhase = 'waiting' | 'queued' | 'inProgress' | 'done';

function batchPhase(index: number, batches: number, fraction: number): BatchPhase {
  if (fraction < UPLOAD_END) return 'waiting';
  if (fraction < QUEUE_END) return 'queued';
  if (fraction >= 1) return 'done';
  // Staggered: batch i starts in the first half of IN_PROGRESS and finishes in the second half;
  // the last batch finishes exactly at the end, so IN_PROGRESS always has work in flight.
  const q = (fraction - QUEUE_END) / (1 - QUEUE_END);
  if (q < (0.5 * index) / batches) return 'queued';
  if (q < 0.5 + (0.5 * (index + 1)) / batches) return 'inProgress';
  return 'done';
}

export function stateAt(outcome: Outcome, fraction: number): JobState {
  if (fraction < UPLOAD_END) return 'WAITING_FOR_UPLOAD';
  if (fraction < QUEUE_END) return 'QUEUED';
  return fraction < 1 ? 'IN_PROGRESS' : outcome;
}

/** What getJob reports at `fraction` (0..1) of the job's life. */
export function progressAt(plan: JobPlan, fraction: number): JobProgress {
  const batches = plan.batchIds.length;
  const counts = noBatches();
  for (let i = 0; i < batches; i++) {
    const phase = batchPhase(i, batches, fraction);
    if (phase === 'waiting') counts.waitingForUpload++;
    else if (phase === 'queued') counts.queued++;
    else if (phase === 'inProgress') counts.inProgress++;
    else if (plan.failing.has(i)) counts.failed++;
    else counts.completed++;
  }
  const state = stateAt(plan.outcome, fraction);
  // Batches appear in batch_list as they get uploaded, while still counted as waiting_for_upload.
  const listed = fraction < UPLOAD_END ? Math.floor((batches * fraction) / UPLOAD_END) : batches;
  return { state, counts, batchList: plan.batchIds.slice(0, listed) };
}

export function makePlan(scenario: Scenario, prng: Prng): JobPlan {
  const ids = new Set<string>();
  while (ids.size < scenario.batches) ids.add(prng.hex(16));
  const failing = new Set<number>();
  if (scenario.outcome === 'FAILED' && scenario.batches > 0) {
    const wanted = Math.max(1, Math.round(scenario.batches / 5));
    while (failing.size < wanted) failing.add(prng.int(scenario.batches));
  }
  return { batchIds: [...ids], failing, outcome: scenario.outcome };
}

export interface NotificationTarget {
  url: string;
  method: NotificationMethod;
}

export type NotificationOutcome = 'pending' | 'delivered' | 'failed' | 'dropped';

export interface NotificationRecord {
  state: JobState;
  /** Clock times (ms): when the state change was detected, first sent, finally answered. */
  detectedAt: number;
  sentAt: number | null;
  answeredAt: number | null;
  status: number | null;
  attempts: number;
  outcome: NotificationOutcome;
  error: string | null;
}

export interface SimJob {
  id: string;
  name: string;
  scenario: Scenario;
  plan: JobPlan;
  createdAt: number;
  getJobCalls: number;
  /** Exact clock time the job became terminal; null until it is observed terminal. */
  terminalAt: number | null;
  notification: NotificationTarget | null;
  /**
   * The last state the notification check saw (the initial state counts as seen); a change notifies
   * in `changes` mode, only a terminal one in `terminal` mode.
   */
  notifiedState: JobState;
  notifications: NotificationRecord[];
}

export function jobFraction(job: SimJob, now: number): number {
  const { checks, durationMs } = job.scenario;
  if (checks !== null) return Math.min(job.getJobCalls, checks) / checks;
  if (durationMs <= 0) return 1;
  return Math.min(1, Math.max(0, (now - job.createdAt) / durationMs));
}

/** The job's state at `now` (cheap: no batch counting), recording the terminal time when first seen. */
export function observeState(job: SimJob, now: number): JobState {
  const state = stateAt(job.plan.outcome, jobFraction(job, now));
  if (job.terminalAt === null && isTerminalState(state)) {
    // Clock-driven jobs end at an exact instant, whenever we happen to notice it.
    job.terminalAt = job.scenario.checks === null ? job.createdAt + job.scenario.durationMs : now;
  }
  return state;
}

/** The job's full progress at `now`, recording the terminal time when first seen. */
export function observe(job: SimJob, now: number): JobProgress {
  observeState(job, now);
  return progressAt(job.plan, jobFraction(job, now));
}

export class JobStore {
  private readonly jobs = new Map<string, SimJob>();

  constructor(private readonly ids: Prng) {}

  create(name: string, scenario: Scenario, notification: NotificationTarget | null, now: number): SimJob {
    let id = this.ids.hex(15);
    while (this.jobs.has(id)) id = this.ids.hex(15);
    const job: SimJob = {
      id,
      name,
      scenario,
      plan: makePlan(scenario, this.ids),
      createdAt: now,
      getJobCalls: 0,
      terminalAt: null,
      notification,
      notifiedState: 'WAITING_FOR_UPLOAD',
      notifications: [],
    };
    this.jobs.set(id, job);
    return job;
  }

  get(id: string): SimJob | undefined {
    return this.jobs.get(id);
  }

  all(): IterableIterator<SimJob> {
    return this.jobs.values();
  }

  get size(): number {
    return this.jobs.size;
  }

  clear(): void {
    this.jobs.clear();
  }
}
