/**
 * Pure readers for TDG's response bodies. TDG documents its fields only by example, so every reader
 * accepts the plausible variants, and reports (never guesses) what it could not read.
 */
import { noBatches, type JobCounts, type JobSnapshot } from '../contract/index.js';
import { previewBody, TdgMalformedResponseError } from './errors.js';

export interface LenientParseResult {
  value: unknown;
  /** True when the body was only readable after repair; the caller logs a warning. */
  lenient: boolean;
}

/**
 * Strict JSON first; then one repair: trailing commas before `]` or `}` are dropped. TDG's own
 * documented example (`"g468ge465ge6ew", ]`) has one, so a real response may too.
 */
export function parseJsonLeniently(text: string): LenientParseResult {
  try {
    return { value: JSON.parse(text), lenient: false };
  } catch {
    // fall through to the repair below
  }
  const repaired = removeTrailingCommas(text);
  if (repaired !== text) {
    try {
      return { value: JSON.parse(repaired), lenient: true };
    } catch {
      // still unreadable: report the original body below
    }
  }
  const detail = text.trim() === '' ? 'the body is empty' : 'the body is not valid JSON';
  throw new TdgMalformedResponseError(detail, previewBody(text, []));
}

/** Drops commas that are followed (after whitespace) by `]` or `}`, leaving string contents untouched. */
function removeTrailingCommas(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      out += ch;
      if (ch === '\\') {
        // keep the escaped character verbatim, so an escaped quote does not end the string
        out += text[i + 1] ?? '';
        i++;
      } else if (ch === '"') {
        inString = false;
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
    } else if (ch === ',') {
      let j = i + 1;
      while (j < text.length && /\s/.test(text[j] as string)) j++;
      const next = text[j];
      if (next === ']' || next === '}') continue;
    }
    out += ch;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeForPreview(raw: unknown): string {
  try {
    return previewBody(JSON.stringify(raw) ?? String(raw), []);
  } catch {
    return previewBody(String(raw), []);
  }
}

/** A count as TDG sends it: a number or a numeric string. Anything else is unreadable. */
function readCount(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return undefined;
}

/** Epoch milliseconds (number or numeric string, as in TDG's example) or an ISO date string. */
function readCreatedDate(value: unknown): string | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) ms = Number(value);
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value.trim())) ms = Date.parse(value);
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  const date = new Date(ms);
  // Date accepts only ±8.64e15 ms; beyond that it is invalid and toISOString would throw
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

const COUNT_FIELDS: ReadonlyArray<readonly [keyof JobCounts, string]> = [
  ['waitingForUpload', 'number_batches_waiting_for_upload'],
  ['queued', 'number_batches_queued'],
  ['inProgress', 'number_batches_in_progress'],
  ['completed', 'number_batches_completed'],
  ['failed', 'number_batches_failed'],
  ['malformed', 'number_batches_malformed'],
];

/**
 * Turns a `getJob` body into a JobSnapshot. Missing or unreadable fields get a neutral value
 * ('UNKNOWN', 0, null, []) and their TDG names are listed in `missingFields`, so the workflow can show
 * them instead of silently trusting a default.
 */
export function normalizeJob(jobId: string, raw: unknown): JobSnapshot {
  if (!isRecord(raw)) {
    throw new TdgMalformedResponseError('the job body is not a JSON object', describeForPreview(raw));
  }
  const missingFields: string[] = [];

  let state = 'UNKNOWN';
  const rawState = raw['state'];
  if (typeof rawState === 'string' && rawState.trim() !== '') state = rawState.trim().toUpperCase();
  else missingFields.push('state');

  const counts = noBatches();
  for (const [key, field] of COUNT_FIELDS) {
    const count = readCount(raw[field]);
    if (count === undefined) missingFields.push(field);
    else counts[key] = count;
  }

  const createdDate = readCreatedDate(raw['created_date']) ?? null;
  if (createdDate === null) missingFields.push('created_date');

  let outputFormat: string | null = null;
  const rawFormat = raw['output_format'];
  if (typeof rawFormat === 'string' && rawFormat.trim() !== '') outputFormat = rawFormat.trim();
  else missingFields.push('output_format');

  const batchList: string[] = [];
  const rawBatches = raw['batch_list'];
  if (Array.isArray(rawBatches)) {
    rawBatches.forEach((id: unknown, index) => {
      if (typeof id === 'string') batchList.push(id);
      else missingFields.push(`batch_list[${index}]`);
    });
  } else {
    missingFields.push('batch_list');
  }

  requireCompleteAnswer(state, counts, missingFields, raw);
  return { jobId, state, counts, createdDate, outputFormat, batchList, missingFields };
}

/**
 * Only a complete answer ends a job: COMPLETED is the end, and its batch list is the job's result,
 * so a COMPLETED answer whose `batch_list` is missing, unreadable (an entry that is not a string),
 * or shorter than its own `number_batches_completed` is an unreadable answer (retried, its error
 * shown as the workflow's `lastError`), never a success with a partial or empty list. Other states
 * keep the lenient reading: their list is progress, not a result.
 */
function requireCompleteAnswer(
  state: string,
  counts: JobCounts,
  missingFields: readonly string[],
  raw: Record<string, unknown>,
): void {
  if (state !== 'COMPLETED') return;
  const unreadable = missingFields.filter((f) => f === 'batch_list' || f.startsWith('batch_list['));
  let problem: string | null = null;
  if (unreadable.includes('batch_list')) problem = 'it has no readable "batch_list"';
  else if (unreadable.length > 0)
    problem = `its "batch_list" has unreadable entries (${unreadable.join(', ')})`;
  else if (!missingFields.includes('number_batches_completed')) {
    const listed = (raw['batch_list'] as unknown[]).length;
    if (listed < counts.completed) {
      problem = `its "batch_list" names ${listed} batch(es) but "number_batches_completed" says ${counts.completed}`;
    }
  }
  if (problem !== null) {
    throw new TdgMalformedResponseError(
      `a COMPLETED answer must carry the whole batch list, but ${problem}`,
      describeForPreview(raw),
    );
  }
}

/** The `job_id` of a create-job answer (`{"job_id": "160718103247ad0"}`); a number is accepted as text. */
export function readJobId(raw: unknown): string {
  for (const container of candidateContainers(raw)) {
    const id = container['job_id'];
    if (typeof id === 'string' && id.trim() !== '') return id.trim();
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  }
  throw new TdgMalformedResponseError('the body has no readable "job_id"', describeForPreview(raw));
}

/** Field names TDG might use for the authorization token; the response field is undocumented. */
export const TOKEN_FIELDS = [
  'token',
  'authorization_token',
  'AuthorizationToken',
  'authorizationToken',
  'access_token',
] as const;

/**
 * The token of an auth answer, from a configured field first, then the usual names, at the top level
 * or under `data`. A bare JSON string is taken as the token itself. Returns undefined rather than
 * throwing: the caller must not put the body (which may hold a token) into an error.
 */
export function readToken(raw: unknown, preferredField?: string): string | undefined {
  if (typeof raw === 'string') return raw.trim() !== '' ? raw.trim() : undefined;
  const fields = preferredField ? [preferredField, ...TOKEN_FIELDS] : [...TOKEN_FIELDS];
  for (const container of candidateContainers(raw)) {
    for (const field of fields) {
      const value = container[field];
      if (typeof value === 'string' && value.trim() !== '') return value.trim();
    }
  }
  return undefined;
}

/**
 * The token lifetime an auth answer announces in the OAuth-style `expires_in` (seconds), if any. TDG
 * documents a fixed 8 hours; an announced shorter lifetime must still win, or we would use dead tokens.
 */
export function readExpiresInMs(raw: unknown): number | undefined {
  for (const container of candidateContainers(raw)) {
    const seconds = readCount(container['expires_in']);
    if (seconds !== undefined && seconds > 0) return seconds * 1000;
  }
  return undefined;
}

/** The body itself and, when present, its `data` envelope: a common wrapper in JSON APIs. */
function candidateContainers(raw: unknown): Record<string, unknown>[] {
  if (!isRecord(raw)) return [];
  const data = raw['data'];
  return isRecord(data) ? [raw, data] : [raw];
}
