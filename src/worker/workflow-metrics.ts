/**
 * Workflow-side metrics, bundled into the workflow code as an interceptor module (deterministic:
 * metrics are not commands, and the SDK drops them during replay). They count at least once: a
 * workflow task the server refuses (a hint arrived while it ran its local-activity check, say)
 * runs again, not as a replay, and counts again. Beside tdg-metrics.ts on the worker's Prometheus
 * endpoint:
 *
 *   tdg_jobs_finished{state="COMPLETED",detected_by="notification"}  counter: jobs by final state,
 *     and what noticed the end (a notification, a check on a timer, ...); state="workflow_failed" when
 *     the workflow failed without a job result; a failed workflow's state is its failure type
 *     (JobFailed, JobDeadlineExceeded, …)
 *   tdg_notifications_received                                       counter: jobNotification signals
 *   tdg_detection_delay_seconds_bucket{detected_by="notification",le=…}  histogram, seconds (and
 *     its _sum and _count): for a job (COMPLETED, or FAILED as JobFailed) whose end a notification
 *     noticed, the workflow time from the first jobNotification of this run whose hint names a
 *     terminal state to the workflow's end. Bucket bounds: DETECTION_DELAY_BUCKETS_S (run.ts).
 *
 * Only notification-detected jobs are measured. For a job a check on a timer (or a manual check)
 * noticed, the delay's upper bound is the time since the check before the one that saw the end,
 * and the workflow's result carries no such time (its timeline records state changes only). A
 * notification whose hint names no readable state (TDG documents no payload) is not a start
 * either: the job then counts in tdg_jobs_finished but not here; so does one whose terminal hint
 * came in an earlier run (before a continue-as-new).
 *
 * Sandbox code: imports @temporalio/workflow and contract definitions only.
 */
import {
  ApplicationFailure,
  ContinueAsNew,
  metricMeter,
  type Next,
  type SignalInput,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { FailureType, hintedStateOf, isTerminalState, type EmailAppendJobResult } from '../contract/index.js';

const NOTIFICATION_SIGNAL = 'jobNotification';
export const DETECTION_DELAY_METRIC = 'tdg_detection_delay_seconds';
/**
 * The histogram's bucket bounds in seconds, given to the Prometheus exporter by run.ts: core's
 * default for a histogram it does not know (50 … 10,000, meant as milliseconds) would put every
 * normal delay, a second or two, into one bucket.
 */
export const DETECTION_DELAY_BUCKETS_S: readonly number[] = [
  0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600,
];

function isJobResult(value: unknown): value is EmailAppendJobResult {
  return (
    typeof value === 'object' && value !== null && typeof (value as { state?: unknown }).state === 'string'
  );
}

/**
 * Whether a jobNotification's arguments hint at a terminal state: its `fields` name COMPLETED or
 * FAILED as the workflow reads them (hintedStateOf).
 */
export function hintsTerminalState(args: readonly unknown[]): boolean {
  const hint: unknown = args[0];
  if (typeof hint !== 'object' || hint === null) return false;
  const fields: unknown = (hint as { fields?: unknown }).fields;
  if (typeof fields !== 'object' || fields === null) return false;
  const state = hintedStateOf(fields as Record<string, unknown>);
  return state !== null && isTerminalState(state);
}

/** The job result a finished workflow carries: its return value, or a JobFailed failure's details. */
function jobResultOf(error: unknown): EmailAppendJobResult | null {
  if (!(error instanceof ApplicationFailure) || error.type !== FailureType.JobFailed) return null;
  const details: unknown = error.details?.[0];
  return isJobResult(details) ? details : null;
}

class JobMetrics implements WorkflowInboundCallsInterceptor {
  /** Workflow time (ms) of this run's first notification hinting at a terminal state. */
  private terminalHintAtMs: number | null = null;

  async execute(
    input: WorkflowExecuteInput,
    next: Next<WorkflowInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const finished = metricMeter.createCounter('tdg_jobs_finished', '1', 'TDG jobs by final state');
    let result: unknown;
    try {
      result = await next(input);
    } catch (error) {
      if (!(error instanceof ContinueAsNew)) {
        // The workflow's failure type: JobFailed, JobDeadlineExceeded, …
        const state = error instanceof ApplicationFailure && error.type ? error.type : 'workflow_failed';
        finished.add(1, { state, detected_by: 'none' });
        const failedJob = jobResultOf(error);
        if (failedJob) this.recordDetectionDelay(failedJob);
      }
      throw error;
    }
    if (isJobResult(result)) {
      finished.add(1, { state: result.state, detected_by: result.detectedBy });
      this.recordDetectionDelay(result);
    }
    return result;
  }

  async handleSignal(
    input: SignalInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>,
  ): Promise<void> {
    if (input.signalName === NOTIFICATION_SIGNAL) {
      metricMeter.createCounter('tdg_notifications_received', '1', 'jobNotification signals received').add(1);
      // Workflow time: the same on replay, like every other clock the workflow reads.
      if (this.terminalHintAtMs === null && hintsTerminalState(input.args))
        this.terminalHintAtMs = Date.now();
    }
    return next(input);
  }

  /** See the module comment: notification-detected jobs with a terminal hint in this run only. */
  private recordDetectionDelay(result: EmailAppendJobResult): void {
    if (result.detectedBy !== 'notification' || this.terminalHintAtMs === null) return;
    const seconds = Math.max(0, Date.now() - this.terminalHintAtMs) / 1000;
    metricMeter
      .createHistogram(
        DETECTION_DELAY_METRIC,
        'float',
        's',
        'From the first notification hinting at a terminal state to the end of the job it noticed',
      )
      .record(seconds, { detected_by: result.detectedBy });
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new JobMetrics()] });
