/**
 * Workflow-side metrics, bundled into the workflow code as an interceptor module (deterministic:
 * metrics are not commands, and the SDK drops them during replay). Beside tdg-metrics.ts on the
 * worker's Prometheus endpoint:
 *
 *   tdg_jobs_finished{state="COMPLETED",detected_by="notification"}  counter: jobs by final state,
 *     and what noticed the end (a notification, a timer's poll, ...); state="workflow_failed" when
 *     the workflow failed without a job result; a failed workflow's state is its failure type
 *     (JobFailed, JobDeadlineExceeded, …)
 *   tdg_notifications_received                                       counter: jobNotification signals
 *
 * Sandbox code: imports @temporalio/workflow and contract types only.
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
import type { EmailAppendJobResult } from '../contract/index.js';

const NOTIFICATION_SIGNAL = 'jobNotification';

function isJobResult(value: unknown): value is EmailAppendJobResult {
  return (
    typeof value === 'object' && value !== null && typeof (value as { state?: unknown }).state === 'string'
  );
}

class JobMetrics implements WorkflowInboundCallsInterceptor {
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
      }
      throw error;
    }
    if (isJobResult(result)) finished.add(1, { state: result.state, detected_by: result.detectedBy });
    return result;
  }

  async handleSignal(
    input: SignalInput,
    next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>,
  ): Promise<void> {
    if (input.signalName === NOTIFICATION_SIGNAL) {
      metricMeter.createCounter('tdg_notifications_received', '1', 'jobNotification signals received').add(1);
    }
    return next(input);
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new JobMetrics()] });
