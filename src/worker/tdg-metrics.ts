/**
 * Our own Prometheus metrics beside the SDK's, on the worker's existing endpoint (the Temporal
 * runtime's exporter, WORKER_METRICS_PORT): each activity is one TDG request, counted by endpoint
 * and outcome, with its latency. Series carry core's namespace and task_queue labels.
 *
 *   tdg_requests{endpoint="POST /job",outcome="ok"}      counter
 *   tdg_request_latency_bucket{endpoint=…,outcome=…}     histogram, milliseconds
 *
 * outcome: ok, retryable (a failure Temporal retries), non_retryable, cancelled.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';

import type { TdgActivities } from '../../activities/index.js';

/** Activity → the TDG endpoint it calls (an activity not listed is labelled with its own name). */
const ENDPOINTS: Record<string, string> = {
  createJob: 'POST /job',
  getJob: 'GET /job',
};

function outcomeOf(error: unknown): string {
  if (error instanceof ApplicationFailure && error.nonRetryable) return 'non_retryable';
  if (Context.current().cancellationSignal.aborted) return 'cancelled';
  return 'retryable';
}

function record(endpoint: string, outcome: string, startedAt: number): void {
  const meter = Context.current().metricMeter;
  const tags = { endpoint, outcome };
  meter.createCounter('tdg_requests', '1', 'TDG API requests by endpoint and outcome').add(1, tags);
  meter
    .createHistogram('tdg_request_latency', 'int', 'ms', 'TDG API request latency')
    .record(Math.round(performance.now() - startedAt), tags);
}

/** The same activities, each recording its TDG request. */
export function instrumentActivities(activities: TdgActivities): TdgActivities {
  const wrapped: Record<string, unknown> = {};
  for (const [name, run] of Object.entries(activities) as [
    string,
    (...args: unknown[]) => Promise<unknown>,
  ][]) {
    const endpoint = ENDPOINTS[name] ?? name;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      const startedAt = performance.now();
      try {
        const result = await run(...args);
        record(endpoint, 'ok', startedAt);
        return result;
      } catch (error) {
        record(endpoint, outcomeOf(error), startedAt);
        throw error;
      }
    };
  }
  return wrapped as TdgActivities;
}
