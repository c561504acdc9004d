/**
 * The workflow's one changing reference to its job's state (job-state.ts): it changes by the named
 * transitions only.
 */
import type { CheckTrigger, CreateJobResult, JobSnapshot } from '../src/contract/index.js';
import {
  hasJob,
  onCheckAnswered,
  onCheckFailed,
  onCheckFinished,
  onCheckStarted,
  onCreateAttemptFailed,
  onCreated,
  onCreateFailed,
  onHint,
  onJobEnded,
  onManualCheckRequested,
  onPossibleDuplicate,
  onWaitStarted,
  onWoken,
  type CreatedJobState,
  type JobState,
} from './job-state.js';

/**
 * The one changing reference to a job's state. Its methods are the transitions above and nothing
 * else, and `state` is read-only: handlers and the workflow's loop change the job only by name.
 */
export class JobTracker {
  #state: JobState;

  constructor(initial: JobState) {
    this.#state = Object.freeze(initial);
  }

  get state(): JobState {
    return this.#state;
  }

  #set(next: JobState): void {
    // Frozen as well as read-only: an assignment that slipped past the types throws.
    this.#state = Object.freeze(next);
  }

  /** No transition but `created` sets the job id, and none clears it. */
  hasJob(): this is CreatedJobTracker {
    return hasJob(this.#state);
  }

  created(answer: CreateJobResult): asserts this is CreatedJobTracker {
    this.#set(onCreated(this.#state, answer));
  }
  createAttemptFailed(error: string): void {
    this.#set(onCreateAttemptFailed(this.#state, error));
  }
  possibleDuplicate(): void {
    this.#set(onPossibleDuplicate(this.#state));
  }
  createFailed(failure: { type: string; message: string }): void {
    this.#set(onCreateFailed(this.#state, failure));
  }
  hint(at: string, hintedState: string | null): void {
    this.#set(onHint(this.#state, at, hintedState));
  }
  manualCheckRequested(nowMs: number): void {
    this.#set(onManualCheckRequested(this.#state, nowMs));
  }
  waitStarted(nextCheckAt: string): void {
    this.#set(onWaitStarted(this.#state, nextCheckAt));
  }
  woken(trigger: CheckTrigger): void {
    this.#set(onWoken(this.#state, trigger));
  }
  checkStarted(nowMs: number): void {
    this.#set(onCheckStarted(this.#state, nowMs));
  }
  checkAnswered(latest: JobSnapshot, at: string): void {
    this.#set(onCheckAnswered(this.#state, latest, at));
  }
  checkFailed(error: string, notFound: boolean, nowMs: number): void {
    this.#set(onCheckFailed(this.#state, error, notFound, nowMs));
  }
  checkFinished(): void {
    this.#set(onCheckFinished(this.#state));
  }
  jobEnded(): void {
    this.#set(onJobEnded(this.#state));
  }
}

/** A tracker whose job `createJob` has created: its state has the job id. */
export interface CreatedJobTracker extends JobTracker {
  readonly state: CreatedJobState;
}
