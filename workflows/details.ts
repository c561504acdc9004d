/**
 * Human-readable progress for the Web UI's "Current Details" (markdown). Pure and
 * deterministic: it only formats the status it is given (the workflow calls it on every change).
 */
import {
  escapeMarkdown,
  isTerminalState,
  totalBatches,
  type JobCounts,
  type JobStatus,
} from '../src/contract/index.js';

const MAX_ERROR_LENGTH = 300;

/** `2026-11-28T13:12:14.986Z` → `2026-11-28 13:12:14 UTC`; anything else unchanged. */
export function formatUtc(iso: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return match ? `${match[1]} ${match[2]} UTC` : iso;
}

/** "3 of 7 completed · 4 in progress" — completed of total first, then every other non-empty state. */
export function describeBatches(counts: JobCounts): string {
  const parts = [
    `${counts.completed} of ${totalBatches(counts)} completed`,
    counts.inProgress ? `${counts.inProgress} in progress` : '',
    counts.queued ? `${counts.queued} queued` : '',
    counts.waitingForUpload ? `${counts.waitingForUpload} waiting for upload` : '',
    counts.failed ? `${counts.failed} failed` : '',
    counts.malformed ? `${counts.malformed} malformed` : '',
  ];
  return parts.filter(Boolean).join(' · ');
}

function nextCheck(status: JobStatus): string {
  if (isTerminalState(status.state)) return 'none: the job is finished';
  if (status.nextCheckAt) return formatUtc(status.nextCheckAt);
  return status.jobId ? 'checking now' : 'after the job is created';
}

function notifications(status: JobStatus): string {
  if (!status.notificationsRequested) return `${status.notifications} (not requested: polling only)`;
  const said = status.lastNotifiedState ? ` (${escapeMarkdown(status.lastNotifiedState)})` : '';
  const last = status.lastNotificationAt ? `, last ${formatUtc(status.lastNotificationAt)}${said}` : '';
  return `${status.notifications}${last}`;
}

function lastError(status: JobStatus): string {
  if (!status.lastError) return 'none';
  const error =
    status.lastError.length > MAX_ERROR_LENGTH
      ? `${status.lastError.slice(0, MAX_ERROR_LENGTH)}…`
      : status.lastError;
  return escapeMarkdown(error);
}

/**
 * A short markdown view, e.g.
 *
 *     **IN_PROGRESS** · TDG job `7ed69f4c06591ff`
 *
 *     - **batches:** 3 of 7 completed · 4 in progress
 *     - **checks:** 10 · **notifications:** 2, last 2026-11-28 13:10:02 UTC
 *     - **next check:** 2026-11-28 13:12:14 UTC
 *     - **last error:** none
 */
export function renderDetails(status: JobStatus): string {
  const job = status.jobId ? `TDG job \`${status.jobId}\`` : 'TDG job (being created)';
  const lines = [
    `**${escapeMarkdown(status.state)}** · ${job}`,
    '',
    `- **batches:** ${status.counts ? describeBatches(status.counts) : 'not known yet'}`,
    `- **checks:** ${status.checks} · **notifications:** ${notifications(status)}`,
    `- **next check:** ${nextCheck(status)}`,
    `- **last error:** ${lastError(status)}`,
  ];
  if (status.possibleDuplicateTdgJob)
    lines.push(
      `- **possible duplicate:** a createJob retry followed an unknown outcome: TDG may hold another job named after \`${escapeMarkdown(status.workflowId)}\``,
    );
  if (status.runs > 1) lines.push(`- **run:** ${status.runs} (continued as new)`);
  return lines.join('\n');
}
