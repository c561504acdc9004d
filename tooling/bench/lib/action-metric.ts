/**
 * temporal-server's own count of actions: the frontend's `action` counter (Prometheus text format),
 * one series per namespace and `action_type`, recorded after each successful call
 * (common/rpc/interceptor/telemetry.go). Read before and after a run, its delta is the server's
 * figure to set beside ours (actions.ts).
 *
 * Markers: temporal-server 1.31/1.32 records one `command_BatchMarkers` per workflow task that
 * carried any (all local activities of a task as one, as Cloud bills them); older servers also
 * recorded each marker as `command_RecordMarker` (Temporal's note on it: bill one or the other).
 * `summarizeMetric` leaves such individual markers out, so both read alike.
 */
import { noActions, type ActionCounts, type ActionKind } from './actions.js';

export type ActionsByType = Record<string, number>;

const INDIVIDUAL_MARKER = 'command_RecordMarker';

/** Which of our kinds each server action type is; types not listed here are shown as they are. */
const KIND_OF_TYPE: Record<string, ActionKind> = {
  grpc_StartWorkflowExecution: 'start',
  grpc_ExecuteMultiOperation: 'start',
  command_ContinueAsNewWorkflowExecution: 'start',
  grpc_SignalWorkflowExecution: 'signal',
  'message_UpdateWorkflowExecution:Acceptance': 'update',
  'message_UpdateWorkflowExecution:Rejection': 'update',
  command_StartTimer: 'timer',
  command_UpsertWorkflowSearchAttributes: 'searchAttributeUpsert',
  command_ScheduleActivityTask: 'activityAttempt',
  activity_retry: 'activityAttempt',
  command_BatchMarkers: 'localActivities',
  grpc_QueryWorkflow: 'query',
  grpc_RecordActivityTaskHeartbeat: 'activityHeartbeat',
  grpc_RecordActivityTaskHeartbeatById: 'activityHeartbeat',
};

function labelsOf(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
    labels[m[1] ?? ''] = (m[2] ?? '').replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The `action` counter of one namespace from a Prometheus text exposition, summed per action_type. */
export function parseActionMetric(text: string, namespace: string): ActionsByType {
  const out: ActionsByType = {};
  for (const line of text.split('\n')) {
    const m = /^action(?:_total)?\{(.*)\}\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = labelsOf(m[1] ?? '');
    if (labels.namespace !== namespace) continue;
    const type = labels.action_type ?? '(none)';
    out[type] = (out[type] ?? 0) + Number(m[2]);
  }
  return out;
}

export function metricDelta(before: ActionsByType, after: ActionsByType): ActionsByType {
  const out: ActionsByType = {};
  for (const type of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const delta = (after[type] ?? 0) - (before[type] ?? 0);
    if (delta !== 0) out[type] = delta;
  }
  return out;
}

export interface MetricSummary {
  /** Every series summed, individual markers (older servers) included: the counter as a dashboard sums it. */
  raw: number;
  /** By Cloud's rules: `raw` without the individual `command_RecordMarker`s (their batch counts). */
  billable: number;
  /** The billable part by our kinds. */
  byKind: ActionCounts;
  /** Billable action types that are none of our kinds (e.g. child workflows, schedules). */
  other: ActionsByType;
}

export function summarizeMetric(byType: ActionsByType): MetricSummary {
  const byKind = noActions();
  const other: ActionsByType = {};
  let raw = 0;
  let billable = 0;
  for (const [type, value] of Object.entries(byType)) {
    raw += value;
    if (type === INDIVIDUAL_MARKER) continue;
    billable += value;
    const kind = KIND_OF_TYPE[type];
    if (kind) byKind[kind] += value;
    else other[type] = value;
  }
  return { raw, billable, byKind, other };
}

/** Reads the counter from a /metrics URL. */
export async function fetchActionMetric(url: string, namespace: string): Promise<ActionsByType> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return parseActionMetric(await response.text(), namespace);
}
