/**
 * Billable actions counted from history (tooling/bench/lib/actions.ts) and the server's `action` counter
 * (tooling/bench/lib/action-metric.ts). Each rule is tested on a small synthetic history together with its
 * negative control: the free variant of the same operation, which a wrong rule would count.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import {
  addActions,
  changeVersionUpserts,
  countActions,
  noActions,
  totalActions,
  type ActionCounts,
  type HistoryEvent,
} from '../tooling/bench/lib/actions.js';
import { metricDelta, parseActionMetric, summarizeMetric } from '../tooling/bench/lib/action-metric.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';

/** A history written event by event: ids in order, times in ms from 0 (1 ms apart unless given). */
function history(build: (h: Builder) => void): HistoryEvent[] {
  const h = new Builder();
  h.add({ workflowExecutionStartedEventAttributes: {} });
  build(h);
  return h.events;
}

class Builder {
  events: HistoryEvent[] = [];
  private clock = 0;
  /** `attrs`: one `…EventAttributes` field, as the API names it (the counter reads only some). */
  add(attrs: Record<string, object>, atMs?: number): number {
    this.clock = atMs ?? this.clock + 1;
    const eventId = this.events.length + 1;
    const eventTime = { seconds: Math.floor(this.clock / 1000), nanos: (this.clock % 1000) * 1e6 };
    this.events.push({ ...attrs, eventId, eventTime });
    return eventId;
  }
  /** Scheduled, started, completed; returns the completed event's id (what commands point at). */
  task(runMs = 5, timeoutMs = 10_000): number {
    const scheduled = this.add({
      workflowTaskScheduledEventAttributes: { startToCloseTimeout: { seconds: timeoutMs / 1000, nanos: 0 } },
    });
    const started = this.add({ workflowTaskStartedEventAttributes: { scheduledEventId: scheduled } });
    return this.add(
      { workflowTaskCompletedEventAttributes: { scheduledEventId: scheduled, startedEventId: started } },
      this.clock + runMs,
    );
  }
  marker(task: number): number {
    return this.add({
      markerRecordedEventAttributes: {
        markerName: 'core_local_activity',
        workflowTaskCompletedEventId: task,
      },
    });
  }
  upsert(task: number, ...names: string[]): number {
    return this.add({
      upsertWorkflowSearchAttributesEventAttributes: {
        workflowTaskCompletedEventId: task,
        searchAttributes: {
          indexedFields: Object.fromEntries(names.map((n) => [n, { data: new Uint8Array() }])),
        },
      },
    });
  }
  /** An activity that ran `attempts` times; `started: false` for one that never started. */
  activity(task: number, attempts: number, started = true): void {
    const scheduled = this.add({
      activityTaskScheduledEventAttributes: { workflowTaskCompletedEventId: task },
    });
    if (!started) return;
    const startedId = this.add({
      activityTaskStartedEventAttributes: { scheduledEventId: scheduled, attempt: attempts },
    });
    this.add({
      activityTaskCompletedEventAttributes: { scheduledEventId: scheduled, startedEventId: startedId },
    });
  }
}

/** Counts with only the named kinds non-zero. */
const only = (kinds: Partial<ActionCounts>): ActionCounts => ({ ...noActions(), ...kinds });

describe('billable actions from history', () => {
  it('a start is one action; an empty history none (control)', () => {
    expect(countActions(history(() => undefined))).toEqual(only({ start: 1 }));
    expect(countActions([])).toEqual(noActions());
  });

  it('continue-as-new: each run is a start of its own, summed over the chain', () => {
    const first = history((h) => {
      const t = h.task();
      h.add({ workflowExecutionContinuedAsNewEventAttributes: { workflowTaskCompletedEventId: t } });
    });
    const second = history((h) => h.task());
    expect(totalActions(addActions(countActions(first), countActions(second)))).toBe(2);
    // Control: the continued-as-new event itself is not a second action of the first run.
    expect(countActions(first)).toEqual(only({ start: 1 }));
  });

  it('each signal is one action; a workflow task it caused is free (control)', () => {
    const events = history((h) => {
      h.task();
      h.add({ workflowExecutionSignaledEventAttributes: { signalName: 'jobNotification' } });
      h.add({ workflowExecutionSignaledEventAttributes: { signalName: 'jobNotification' } });
      h.task();
    });
    expect(countActions(events)).toEqual(only({ start: 1, signal: 2 }));
  });

  it('updates: accepted in history, rejected from the caller; completing one is free (control)', () => {
    const events = history((h) => {
      const t = h.task();
      h.add({ workflowExecutionUpdateAcceptedEventAttributes: {} });
      h.add({ workflowExecutionUpdateCompletedEventAttributes: {} });
      void t;
    });
    expect(countActions(events)).toEqual(only({ start: 1, update: 1 }));
    expect(countActions(events, { rejectedUpdates: 2 })).toEqual(only({ start: 1, update: 3 }));
  });

  it('each timer started is one action; firing or cancelling it is free (control)', () => {
    const events = history((h) => {
      const t = h.task();
      const a = h.add({ timerStartedEventAttributes: { workflowTaskCompletedEventId: t, timerId: '1' } });
      h.add({ timerFiredEventAttributes: { startedEventId: a } });
      const t2 = h.task();
      const b = h.add({ timerStartedEventAttributes: { workflowTaskCompletedEventId: t2, timerId: '2' } });
      h.add({ timerCanceledEventAttributes: { startedEventId: b } });
    });
    expect(countActions(events)).toEqual(only({ start: 1, timer: 2 }));
  });

  it('each search-attribute upsert is one action; TemporalChangeVersion alone is free (control)', () => {
    const events = history((h) => {
      const t = h.task();
      h.upsert(t, 'TemporalChangeVersion');
      h.upsert(t, 'TdgJobId', 'TdgJobState');
      h.upsert(t, 'TdgJobState', 'TemporalChangeVersion');
    });
    expect(countActions(events)).toEqual(only({ start: 1, searchAttributeUpsert: 2 }));
    // What the server's counter has on top (it counts every upsert command).
    expect(changeVersionUpserts(events)).toBe(1);
  });

  it('every activity attempt counts, retries included, read from the started event', () => {
    const retried = history((h) => h.activity(h.task(), 6));
    expect(countActions(retried)).toEqual(only({ start: 1, activityAttempt: 6 }));
    // Control: a first-attempt success is one action, not two (scheduled + started).
    const once = history((h) => h.activity(h.task(), 1));
    expect(countActions(once)).toEqual(only({ start: 1, activityAttempt: 1 }));
    // An activity cancelled before it started is still one (its schedule command).
    const never = history((h) => h.activity(h.task(), 0, false));
    expect(countActions(never)).toEqual(only({ start: 1, activityAttempt: 1 }));
  });

  it('all local activities of one workflow task are one action; two tasks are two (control)', () => {
    const oneTask = history((h) => {
      const t = h.task();
      h.marker(t);
      h.marker(t);
      h.marker(t);
    });
    expect(countActions(oneTask)).toEqual(only({ start: 1, localActivities: 1 }));
    const twoTasks = history((h) => {
      h.marker(h.task());
      h.add({ timerFiredEventAttributes: {} });
      h.marker(h.task());
    });
    expect(countActions(twoTasks)).toEqual(only({ start: 1, localActivities: 2 }));
  });

  it('a workflow-task heartbeat is one more; a quick task followed by another is not (control)', () => {
    // Local activity running past 80 % of a 10 s task: completed after 8 s, next task at once.
    const heartbeat = history((h) => {
      h.task(8_000);
      const t = h.task(3);
      h.marker(t);
    });
    expect(countActions(heartbeat)).toEqual(only({ start: 1, localActivities: 1, workflowTaskHeartbeat: 1 }));
    // Same shape, 5 ms task (an update admitted while it ran): no heartbeat.
    const quick = history((h) => {
      h.task(5);
      h.task(3);
    });
    expect(countActions(quick)).toEqual(only({ start: 1 }));
    // A long task that started a timer (a command) is no heartbeat either.
    const long = history((h) => {
      const t = h.task(9_000);
      h.add({ timerStartedEventAttributes: { workflowTaskCompletedEventId: t } });
      h.task(3);
    });
    expect(countActions(long)).toEqual(only({ start: 1, timer: 1 }));
  });

  it('queries and activity heartbeats leave no event: the caller counts them', () => {
    const events = history(() => undefined);
    expect(countActions(events)).toEqual(only({ start: 1 }));
    expect(countActions(events, { queries: 3, activityHeartbeats: 4 })).toEqual(
      only({ start: 1, query: 3, activityHeartbeat: 4 }),
    );
  });

  it('completion, failure and workflow tasks are free', () => {
    const events = history((h) => {
      const t = h.task();
      h.add({ workflowExecutionCompletedEventAttributes: { workflowTaskCompletedEventId: t } });
    });
    expect(totalActions(countActions(events))).toBe(1);
  });
});

describe('billable actions of a real history', () => {
  it('test/histories/get-job-outage.json: a getJob that needed 6 attempts', () => {
    const file = join(PROJECT_ROOT, 'test', 'histories', 'get-job-outage.json');
    const events = historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))).events ?? [];
    // Read off the file by hand: start; createJob (1 attempt) and a getJob activity whose started
    // event says attempt 6; timers at events 13, 19, 25, 36; upserts at 5, 12, 42; local-activity
    // markers in the tasks completed at 17, 23 and 40.
    expect(countActions(events)).toEqual(
      only({ start: 1, activityAttempt: 7, timer: 4, searchAttributeUpsert: 3, localActivities: 3 }),
    );
    expect(totalActions(countActions(events))).toBe(18);
  });
});

describe("temporal-server's action counter", () => {
  const before = [
    '# HELP action action counter',
    '# TYPE action counter',
    'action{action_type="grpc_StartWorkflowExecution",namespace="temporal-system",operation="StartWorkflowExecution",service_name="frontend"} 7',
    'action{action_type="grpc_StartWorkflowExecution",namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 1',
    'action_latency_bucket{namespace="default",le="1"} 99',
  ].join('\n');
  const after = [
    'action{action_type="grpc_StartWorkflowExecution",namespace="temporal-system",operation="StartWorkflowExecution",service_name="frontend"} 9',
    'action{action_type="grpc_StartWorkflowExecution",namespace="default",operation="StartWorkflowExecution",service_name="frontend"} 3',
    'action{action_type="command_RecordMarker",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 5',
    'action{action_type="command_BatchMarkers",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 2',
    'action{action_type="activity_retry",namespace="default",operation="PollActivityTaskQueue",service_name="frontend"} 4',
    'action{action_type="command_ScheduleActivityTask",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 2',
    'action{action_type="command_StartChildWorkflowExecution",namespace="default",operation="RespondWorkflowTaskCompleted",service_name="frontend"} 1',
  ].join('\n');

  it('reads one namespace per action_type, other metrics and namespaces left out (control)', () => {
    expect(parseActionMetric(before, 'default')).toEqual({ grpc_StartWorkflowExecution: 1 });
    expect(parseActionMetric(before, 'temporal-system')).toEqual({ grpc_StartWorkflowExecution: 7 });
  });

  it('bills a task’s markers once (the batch), retries as attempts, and shows unknown types', () => {
    const delta = metricDelta(parseActionMetric(before, 'default'), parseActionMetric(after, 'default'));
    const summary = summarizeMetric(delta);
    expect(summary.raw).toBe(2 + 5 + 2 + 4 + 2 + 1);
    expect(summary.billable).toBe(summary.raw - 5);
    expect(summary.byKind).toEqual(only({ start: 2, localActivities: 2, activityAttempt: 6 }));
    expect(summary.other).toEqual({ command_StartChildWorkflowExecution: 1 });
  });
});
