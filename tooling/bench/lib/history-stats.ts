/** What a workflow's event history says about how it ran (events, tasks, waits, retries). */
import type { Client } from '@temporalio/client';
import { addActions, countActions, noActions, type ActionCounts } from './actions.js';

export interface HistoryStats {
  /** Events summed over every run of the workflow id (continue-as-new chain). */
  events: number;
  workflowTasks: number;
  runs: number;
  startTime: number;
  closeTime: number | null;
  status: string;
  /** Longest wait of a workflow task between scheduled and started (matching + worker poll delay). */
  maxWorkflowTaskWaitMs: number;
  /** Longest wait of an activity task between scheduled and started (rate limit, slots, matching). */
  maxActivityTaskWaitMs: number;
  /** Failed activity attempts that were retried (the last attempt of each activity is in its started event). */
  activityRetries: number;
  /** Billable actions of the chain by Temporal Cloud's rules (actions.ts), every run summed. */
  actions: ActionCounts;
}

type HistoryEvent = NonNullable<
  Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>>['events']
>[number];

function eventMs(event: HistoryEvent): number {
  return Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
}

/**
 * History figures of one workflow execution chain: follows continue-as-new from the first run
 * and counts every event and every WorkflowTaskCompleted.
 */
export async function historyStats(
  client: Client,
  workflowId: string,
  firstRunId?: string,
): Promise<HistoryStats> {
  let runId = firstRunId;
  let events = 0;
  let workflowTasks = 0;
  let runs = 0;
  let startTime = NaN;
  let maxWorkflowTaskWaitMs = 0;
  let maxActivityTaskWaitMs = 0;
  let activityRetries = 0;
  let actions = noActions();
  for (;;) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const history = await handle.fetchHistory();
    runs++;
    const list = history.events ?? [];
    events += list.length;
    actions = addActions(actions, countActions(list));
    let next: string | undefined;
    const timeById = new Map<string, number>();
    for (const event of list) {
      if (event.eventId != null) timeById.set(String(event.eventId), eventMs(event));
      if (event.workflowTaskCompletedEventAttributes) workflowTasks++;
      const wftStarted = event.workflowTaskStartedEventAttributes;
      const scheduledAt =
        wftStarted?.scheduledEventId != null ? timeById.get(String(wftStarted.scheduledEventId)) : undefined;
      if (scheduledAt !== undefined)
        maxWorkflowTaskWaitMs = Math.max(maxWorkflowTaskWaitMs, eventMs(event) - scheduledAt);
      const actStarted = event.activityTaskStartedEventAttributes;
      const actScheduledAt =
        actStarted?.scheduledEventId != null ? timeById.get(String(actStarted.scheduledEventId)) : undefined;
      // An activity's started event is written when it finishes (after retries): only the first attempt's wait is meaningful.
      if (actStarted && (actStarted.attempt ?? 1) > 1) activityRetries += (actStarted.attempt ?? 1) - 1;
      if (actScheduledAt !== undefined && (actStarted?.attempt ?? 1) <= 1) {
        maxActivityTaskWaitMs = Math.max(maxActivityTaskWaitMs, eventMs(event) - actScheduledAt);
      }
      const started = event.workflowExecutionStartedEventAttributes;
      if (started && Number.isNaN(startTime) && event.eventTime?.seconds != null) startTime = eventMs(event);
      const continued = event.workflowExecutionContinuedAsNewEventAttributes;
      if (continued?.newExecutionRunId) next = continued.newExecutionRunId;
    }
    if (!next) {
      const description = await handle.describe();
      return {
        events,
        workflowTasks,
        runs,
        startTime,
        closeTime: description.closeTime?.getTime() ?? null,
        status: description.status.name,
        maxWorkflowTaskWaitMs,
        maxActivityTaskWaitMs,
        activityRetries,
        actions,
      };
    }
    runId = next;
  }
}
