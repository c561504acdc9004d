/**
 * Billable actions (what Temporal Cloud charges for) counted from a workflow's event history,
 * by the published rules (docs.temporal.io/cloud/actions). Pure: no client, no clock.
 *
 * | kind                  | one action per …                                                     | read from |
 * | ---                   | ---                                                                  | --- |
 * | start                 | run: client start and every continue-as-new                          | WorkflowExecutionStarted (each run's history has one) |
 * | signal                | signal delivered                                                     | WorkflowExecutionSignaled |
 * | update                | update accepted or rejected                                          | UpdateAccepted / UpdateRejected, plus rejections the caller saw (the server does not persist them) |
 * | timer                 | timer started, also the one behind `condition(fn, timeout)`          | TimerStarted |
 * | searchAttributeUpsert | upsert command (attributes given at start are free, and so is an upsert of `TemporalChangeVersion` alone) | UpsertWorkflowSearchAttributes |
 * | activityAttempt       | activity attempt, retries included (they leave no event of their own) | ActivityTaskStarted's `attempt` (the last attempt's number); 1 for an activity that never started |
 * | localActivities       | workflow task that recorded markers: all its local activities are one | MarkerRecorded grouped by workflow task |
 * | workflowTaskHeartbeat | workflow-task heartbeat (a local activity held the task past 80 % of its timeout) | see `isHeartbeat` |
 * | query                 | query (not in history: the caller counts them)                      | `outside.queries` |
 * | activityHeartbeat     | heartbeat that reaches the server (not in history)                   | `outside.activityHeartbeats` |
 *
 * Completions, failures, cancellations and replays are free.
 */
/** An int64 of the API: a number, or a Long from the protobuf decoder (Number reads its string form). */
type Int64 = number | string | { toString(): string } | null | undefined;
type Present = object | null | undefined;
interface Duration {
  seconds?: Int64;
  nanos?: number | null;
}

/**
 * The fields of a history event this module reads: what `fetchHistory()` returns and what
 * `historyFromJSON` decodes both fit (temporal.api.history.v1.IHistoryEvent).
 */
export interface HistoryEvent {
  eventId?: Int64;
  eventTime?: Duration | null;
  workflowExecutionStartedEventAttributes?: Present;
  workflowExecutionSignaledEventAttributes?: Present;
  workflowExecutionUpdateAcceptedEventAttributes?: Present;
  workflowExecutionUpdateRejectedEventAttributes?: Present;
  timerStartedEventAttributes?: Present;
  upsertWorkflowSearchAttributesEventAttributes?: {
    searchAttributes?: { indexedFields?: Record<string, unknown> | null } | null;
  } | null;
  activityTaskScheduledEventAttributes?: Present;
  activityTaskStartedEventAttributes?: { scheduledEventId?: Int64; attempt?: number | null } | null;
  markerRecordedEventAttributes?: { workflowTaskCompletedEventId?: Int64 } | null;
  workflowTaskScheduledEventAttributes?: { startToCloseTimeout?: Duration | null } | null;
  workflowTaskCompletedEventAttributes?: { scheduledEventId?: Int64; startedEventId?: Int64 } | null;
}

export const ACTION_KINDS = [
  'start',
  'signal',
  'update',
  'timer',
  'searchAttributeUpsert',
  'activityAttempt',
  'localActivities',
  'workflowTaskHeartbeat',
  'query',
  'activityHeartbeat',
] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];
export type ActionCounts = Record<ActionKind, number>;

/** Billable operations that leave no trace in history, counted by whoever made them. */
export interface OutsideHistory {
  queries?: number;
  activityHeartbeats?: number;
  rejectedUpdates?: number;
}

/** The search attribute the SDK upserts for `patched()`: not billed. */
export const CHANGE_VERSION_ATTRIBUTE = 'TemporalChangeVersion';

export function noActions(): ActionCounts {
  return Object.fromEntries(ACTION_KINDS.map((kind) => [kind, 0])) as ActionCounts;
}

export function totalActions(counts: ActionCounts): number {
  return ACTION_KINDS.reduce((sum, kind) => sum + counts[kind], 0);
}

export function addActions(a: ActionCounts, b: ActionCounts): ActionCounts {
  return Object.fromEntries(ACTION_KINDS.map((kind) => [kind, a[kind] + b[kind]])) as ActionCounts;
}

/** Event ids, seconds and attempts arrive as numbers or Longs (whose string form Number reads). */
const num = (value: unknown): number => Number(value ?? 0);

function timeMs(event: HistoryEvent | undefined): number | null {
  const t = event?.eventTime;
  if (!t || t.seconds == null) return null;
  return num(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

function durationMs(d: Duration | null | undefined): number | null {
  if (!d || d.seconds == null) return null;
  return num(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/**
 * A workflow-task heartbeat: the SDK completes a task whose local activities are still running with
 * no command but markers and asks for a new task at once, so the completion is followed directly by
 * the next WorkflowTaskScheduled. An ordinary task can look the same (an update that arrived while
 * it ran); what sets a heartbeat apart is its length: the SDK sends it once the task has run 80 %
 * of its start-to-close timeout, where ordinary tasks take milliseconds. Here: at least half.
 */
function isHeartbeat(
  events: readonly HistoryEvent[],
  completedIndex: number,
  byId: Map<number, HistoryEvent>,
): boolean {
  const completed = events[completedIndex];
  const attrs = completed?.workflowTaskCompletedEventAttributes;
  if (!completed || !attrs) return false;
  let next = completedIndex + 1;
  const completedId = num(completed.eventId);
  while (num(events[next]?.markerRecordedEventAttributes?.workflowTaskCompletedEventId) === completedId)
    next++;
  if (!events[next]?.workflowTaskScheduledEventAttributes) return false;
  const started = byId.get(num(attrs.startedEventId));
  const scheduled = byId.get(num(attrs.scheduledEventId));
  const timeout = durationMs(scheduled?.workflowTaskScheduledEventAttributes?.startToCloseTimeout);
  const startedAt = timeMs(started);
  const completedAt = timeMs(completed);
  if (timeout === null || startedAt === null || completedAt === null) return false;
  return completedAt - startedAt >= timeout / 2;
}

/**
 * Upserts of `TemporalChangeVersion` alone (what `patched()` writes): free on Cloud, yet counted by
 * temporal-server's `action` counter, which counts every upsert command. Explains that difference.
 */
export function changeVersionUpserts(events: readonly HistoryEvent[]): number {
  return events.filter((event) => {
    const names = Object.keys(
      event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {},
    );
    return names.length > 0 && names.every((name) => name === CHANGE_VERSION_ATTRIBUTE);
  }).length;
}

/** Billable actions of one run's history (sum the runs of a continue-as-new chain with `addActions`). */
export function countActions(events: readonly HistoryEvent[], outside: OutsideHistory = {}): ActionCounts {
  const counts = noActions();
  const byId = new Map<number, HistoryEvent>();
  for (const event of events) byId.set(num(event.eventId), event);
  const attemptsByScheduled = new Map<number, number>();
  const markerTasks = new Set<number>();
  for (const [index, event] of events.entries()) {
    if (event.workflowExecutionStartedEventAttributes) counts.start++;
    if (event.workflowExecutionSignaledEventAttributes) counts.signal++;
    if (
      event.workflowExecutionUpdateAcceptedEventAttributes ||
      event.workflowExecutionUpdateRejectedEventAttributes
    )
      counts.update++;
    if (event.timerStartedEventAttributes) counts.timer++;
    const upsert = event.upsertWorkflowSearchAttributesEventAttributes;
    if (upsert) {
      const names = Object.keys(upsert.searchAttributes?.indexedFields ?? {});
      if (names.some((name) => name !== CHANGE_VERSION_ATTRIBUTE)) counts.searchAttributeUpsert++;
    }
    if (event.activityTaskScheduledEventAttributes) attemptsByScheduled.set(num(event.eventId), 1);
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const id = num(started.scheduledEventId);
      attemptsByScheduled.set(id, Math.max(attemptsByScheduled.get(id) ?? 1, started.attempt ?? 1));
    }
    const marker = event.markerRecordedEventAttributes;
    if (marker) markerTasks.add(num(marker.workflowTaskCompletedEventId));
    if (event.workflowTaskCompletedEventAttributes && isHeartbeat(events, index, byId))
      counts.workflowTaskHeartbeat++;
  }
  counts.activityAttempt = [...attemptsByScheduled.values()].reduce((a, b) => a + b, 0);
  counts.localActivities = markerTasks.size;
  counts.update += outside.rejectedUpdates ?? 0;
  counts.query = outside.queries ?? 0;
  counts.activityHeartbeat = outside.activityHeartbeats ?? 0;
  return counts;
}
