/**
 * Turns whatever a caller sent into the small, display-only payload of a `jobNotification`
 * signal. The payload lands in workflow history and the Web UI, so it is bounded, stripped of
 * control characters, and never carries the signature.
 */
import type { NotificationHint } from '../contract/definitions.js';
import { redactSignatures } from '../platform/log.js';

export const MAX_FIELDS_BYTES = 1024;
export const MAX_KEY_CHARS = 64;
export const MAX_VALUE_CHARS = 256;
const MAX_FIELDS = 32;

/** Harmless in a Map or JSON, but a trap for any consumer that copies fields onto a plain object. */
const UNSAFE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Control and format characters (including bidi overrides) would garble or disguise display;
 * lone surrogates (e.g. left by a cut) are not valid text.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}]/gu;

/** Cuts by code points so a surrogate pair is never split into invalid UTF-16. */
function truncate(text: string, maxChars: number): string {
  // Slicing first keeps the cost bounded however long the input is.
  const head = Array.from(text.slice(0, maxChars * 2)).slice(0, maxChars);
  return head.join('');
}

function truncateToBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    out += char;
  }
  return out;
}

export function cleanText(text: string, maxChars: number): string {
  return truncate(redactSignatures(text.slice(0, maxChars * 4).replace(UNPRINTABLE, '')), maxChars);
}

export type RawField = readonly [key: string, value: string];

/** Bounded string→string map: once the byte budget is spent, the last value is cut and the rest dropped. */
export function sanitiseFields(raw: Iterable<RawField>): Record<string, string> {
  const fields = new Map<string, string>();
  let bytes = 0;
  for (const [rawKey, rawValue] of raw) {
    if (fields.size >= MAX_FIELDS) break;
    if (rawKey.toLowerCase() === 'sig' || UNSAFE_KEYS.has(rawKey)) continue;
    const key = cleanText(rawKey, MAX_KEY_CHARS);
    if (key === '' || fields.has(key)) continue;
    const room = MAX_FIELDS_BYTES - bytes - Buffer.byteLength(key);
    if (room <= 0) break;
    const value = truncateToBytes(cleanText(rawValue, MAX_VALUE_CHARS), room);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
    fields.set(key, value);
  }
  // fromEntries defines own properties, so a key such as `__proto__` stays plain data.
  return Object.fromEntries(fields);
}

export function queryFields(query: Record<string, unknown>): RawField[] {
  const fields: RawField[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string') fields.push([key, value]);
    else if (Array.isArray(value)) fields.push([key, value.filter((v) => typeof v === 'string').join(',')]);
  }
  return fields;
}

export function buildHint(method: string, receivedAt: Date, raw: Iterable<RawField>): NotificationHint {
  const fields = sanitiseFields(raw);
  return {
    method,
    receivedAt: receivedAt.toISOString(),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
}
