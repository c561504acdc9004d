/**
 * The run-level cross-check of billable actions: ours, counted from the history of every workflow
 * execution in the namespace (warm-ups and every run of a continue-as-new chain included), beside
 * the delta of temporal-server's own `action` counter over the same run. The engine is new for
 * each run, so the namespace holds this run's workflows only.
 */
import type { Client } from '@temporalio/client';
import {
  addActions,
  changeVersionUpserts,
  countActions,
  noActions,
  totalActions,
  type ActionCounts,
} from './actions.js';
import {
  fetchActionMetric,
  metricDelta,
  summarizeMetric,
  type ActionsByType,
  type MetricSummary,
} from './action-metric.js';
import { mapLimit } from './map-limit.js';

export interface ActionsCheck {
  metricsUrl: string | null;
  /** Why there is no server figure (no endpoint, unreadable), or null. */
  problem: string | null;
  /** Workflow executions counted (each run of a chain is one). */
  executions: number;
  ours: ActionCounts;
  oursTotal: number;
  /** Upserts of TemporalChangeVersion alone: free by Cloud's rules, counted by the server's counter. */
  changeVersionUpserts: number;
  /** The counter's delta per action_type, and summed by Cloud's rules. */
  serverByType: ActionsByType | null;
  server: MetricSummary | null;
}

/** Reads the counter at the start of a run; null (with the reason kept for the report) when there is none. */
export async function actionMetricBaseline(
  metricsUrl: string | null,
  namespace: string,
): Promise<{ byType: ActionsByType | null; problem: string | null }> {
  if (metricsUrl === null) return { byType: null, problem: 'the engine exposes no Prometheus endpoint' };
  try {
    return { byType: await fetchActionMetric(metricsUrl, namespace), problem: null };
  } catch (error) {
    return { byType: null, problem: `reading ${metricsUrl}: ${(error as Error).message}` };
  }
}

export async function checkActions(
  client: Client,
  namespace: string,
  metricsUrl: string | null,
  baseline: { byType: ActionsByType | null; problem: string | null },
  /** Billable operations the harness made that leave no event (queries it sent). */
  outside: { queries: number } = { queries: 0 },
): Promise<ActionsCheck> {
  const executions: { workflowId: string; runId: string }[] = [];
  let ours = noActions();
  let changeVersion = 0;
  try {
    for await (const execution of client.workflow.list({ query: '' })) {
      executions.push({ workflowId: execution.workflowId, runId: execution.runId });
    }
    await mapLimit(executions, 16, async ({ workflowId, runId }) => {
      const events = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
      ours = addActions(ours, countActions(events));
      changeVersion += changeVersionUpserts(events);
    });
  } catch (error) {
    // The run's own figures stand without the check: say why it is missing.
    return {
      metricsUrl,
      problem: `counting the namespace's executions: ${(error as Error).message}`,
      executions: executions.length,
      ours,
      oursTotal: totalActions(ours),
      changeVersionUpserts: changeVersion,
      serverByType: null,
      server: null,
    };
  }
  ours = addActions(ours, countActions([], outside));

  let serverByType: ActionsByType | null = null;
  let problem = baseline.problem;
  if (metricsUrl !== null && baseline.byType !== null) {
    try {
      // The counter is exported on a reporting interval: read until two reads a second apart agree.
      let previous = await fetchActionMetric(metricsUrl, namespace);
      for (let i = 0; i < 10; i++) {
        await new Promise((done) => setTimeout(done, 1_000));
        const next = await fetchActionMetric(metricsUrl, namespace);
        const same = JSON.stringify(next) === JSON.stringify(previous);
        previous = next;
        if (same) break;
      }
      serverByType = metricDelta(baseline.byType, previous);
    } catch (error) {
      problem = `reading ${metricsUrl}: ${(error as Error).message}`;
    }
  }
  return {
    metricsUrl,
    problem,
    executions: executions.length,
    ours,
    oursTotal: totalActions(ours),
    changeVersionUpserts: changeVersion,
    serverByType,
    server: serverByType ? summarizeMetric(serverByType) : null,
  };
}
