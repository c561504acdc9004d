/**
 * Per-job behaviour chosen by a tag anywhere in the job name, e.g.
 * `nightly run [sim duration=90s batches=7 outcome=FAILED checks=40 notify=terminal]`.
 * Tags are strict: a typo must surface as a 400 rather than silently running the defaults.
 */
import { DurationFormatError, parseDuration } from '../../src/platform/duration.js';
import { NOTIFICATION_MODES, parseNotificationMode, type NotificationMode } from './settings.js';

export type Outcome = 'COMPLETED' | 'FAILED';

export interface Scenario {
  durationMs: number;
  batches: number;
  outcome: Outcome;
  /** Terminal on the N-th getJob call, independent of the clock; null: progress over `durationMs`. */
  checks: number | null;
  /** When the job notifies: the `notify=` tag, else the simulator's `notificationMode` at creation. */
  notify: NotificationMode;
  /** `createLatency=`: this job's createJob answer comes this much later (the job is made at once). */
  createLatencyMs?: number;
  /** `getLatency=`: each getJob answer for this job comes this much later. */
  getLatencyMs?: number;
}

export interface ScenarioDefaults {
  durationMs: number;
  batches: number;
  outcome: Outcome;
  notify: NotificationMode;
}

export const MAX_BATCHES = 10_000;
export const MAX_CHECKS = 1_000_000;
export const MAX_DURATION_MS = 366 * 86_400_000;

export class ScenarioTagError extends Error {
  override readonly name = 'ScenarioTagError';
}

const TAG_START = /\[sim(?=[\s\]])/gi;
const KEYS = ['duration', 'batches', 'outcome', 'checks', 'notify', 'createlatency', 'getlatency'] as const;
/** A slow answer longer than this is a hung request: use the `hangRate` fault for that. */
export const MAX_TAG_LATENCY_MS = 600_000;
type Key = (typeof KEYS)[number];

export function parseOutcome(text: string): Outcome | null {
  const upper = text.trim().toUpperCase();
  return upper === 'COMPLETED' || upper === 'FAILED' ? upper : null;
}

function fail(detail: string): never {
  throw new ScenarioTagError(`invalid [sim ...] tag in job name: ${detail}`);
}

/** A whole number in min..max, or a specific complaint naming the key. */
function boundedCount(key: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    fail(`${key} ${JSON.stringify(text)} must be a whole number from ${min} to ${max}`);
  return value;
}

function tagLatency(key: string, value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    if (error instanceof DurationFormatError) fail(`${key}: ${error.message}`);
    throw error;
  }
  if (ms > MAX_TAG_LATENCY_MS) fail(`${key} ${JSON.stringify(value)} is longer than 10m`);
  return ms;
}

/** The scenario for a job name; throws ScenarioTagError with a specific message for a bad tag. */
export function parseScenario(name: string, defaults: ScenarioDefaults): Scenario {
  const scenario: Scenario = { ...defaults, checks: null };
  const starts = [...name.matchAll(TAG_START)];
  const first = starts[0];
  if (first === undefined) return scenario;
  if (starts.length > 1) fail('only one tag is allowed');
  const bodyStart = first.index + first[0].length;
  const end = name.indexOf(']', bodyStart);
  if (end < 0) fail('missing closing "]"');

  const seen = new Set<Key>();
  for (const token of name.slice(bodyStart, end).split(/\s+/).filter(Boolean)) {
    const eq = token.indexOf('=');
    if (eq <= 0) fail(`expected key=value, got ${JSON.stringify(token)}`);
    const rawKey = token.slice(0, eq).toLowerCase();
    const value = token.slice(eq + 1);
    const key = KEYS.find((k) => k === rawKey);
    if (key === undefined) fail(`unknown key ${JSON.stringify(rawKey)} (known: ${KEYS.join(', ')})`);
    if (seen.has(key)) fail(`key "${key}" given twice`);
    seen.add(key);
    switch (key) {
      case 'duration': {
        let ms: number;
        try {
          ms = parseDuration(value);
        } catch (error) {
          if (error instanceof DurationFormatError) fail(`duration: ${error.message}`);
          throw error;
        }
        if (ms > MAX_DURATION_MS) fail(`duration ${JSON.stringify(value)} is longer than 366d`);
        scenario.durationMs = ms;
        break;
      }
      case 'batches':
        scenario.batches = boundedCount(key, value, 0, MAX_BATCHES);
        break;
      case 'outcome': {
        const outcome = parseOutcome(value);
        if (outcome === null) fail(`outcome ${JSON.stringify(value)} must be COMPLETED or FAILED`);
        scenario.outcome = outcome;
        break;
      }
      case 'checks':
        scenario.checks = boundedCount(key, value, 1, MAX_CHECKS);
        break;
      case 'createlatency':
        scenario.createLatencyMs = tagLatency('createLatency', value);
        break;
      case 'getlatency':
        scenario.getLatencyMs = tagLatency('getLatency', value);
        break;
      case 'notify': {
        const mode = parseNotificationMode(value);
        if (mode === null) fail(`notify ${JSON.stringify(value)} must be ${NOTIFICATION_MODES.join(' or ')}`);
        scenario.notify = mode;
        break;
      }
    }
  }
  return scenario;
}
