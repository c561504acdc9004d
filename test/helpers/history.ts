/**
 * Reading a workflow's history in tests: the events that carry one kind of attributes, the
 * markers of one name, the values of a search attribute as the workflow upserted them, and the
 * JSON inside a payload — so that no test decodes history events by hand.
 */
import type { temporal } from '@temporalio/proto';

export type History = temporal.api.history.v1.IHistory;
export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type AttributesKey = keyof HistoryEvent & `${string}EventAttributes`;

/** A JSON payload's value, as the SDK's default converter wrote it. */
export function decodeJson(data: Uint8Array | null | undefined): unknown {
  return JSON.parse(new TextDecoder().decode(data ?? new Uint8Array()));
}

/** The attributes of each event that has `key` (e.g. `workflowExecutionSignaledEventAttributes`). */
export function attributesOf<K extends AttributesKey>(
  history: History,
  key: K,
): NonNullable<HistoryEvent[K]>[] {
  return (history.events ?? []).flatMap((event) => {
    const attributes = event[key];
    return attributes ? [attributes] : [];
  });
}

/** Markers named `name` (`core_local_activity`, `core_patch`), each with its details decoded. */
export function markers(
  history: History,
  name: string,
): {
  marker: NonNullable<HistoryEvent['markerRecordedEventAttributes']>;
  details: Record<string, unknown>;
}[] {
  return attributesOf(history, 'markerRecordedEventAttributes')
    .filter((marker) => marker.markerName === name)
    .map((marker) => ({
      marker,
      details: Object.fromEntries(
        Object.entries(marker.details ?? {}).map(([key, payloads]) => [
          key,
          decodeJson(payloads.payloads?.[0]?.data),
        ]),
      ),
    }));
}

/** Each value the workflow upserted for search attribute `name`, in order. */
export function searchAttributeUpserts(history: History, name: string): unknown[] {
  return attributesOf(history, 'upsertWorkflowSearchAttributesEventAttributes').flatMap((upsert) => {
    const field = upsert.searchAttributes?.indexedFields?.[name];
    return field ? [decodeJson(field.data)] : [];
  });
}
