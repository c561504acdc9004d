/** Human-readable progress for the Web UI's "current details" (markdown). Pure. */
import { totalBatches, type JobStatus } from '../src/shared/definitions.js';

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Math.round(ms / 1_000)}s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

export function renderDetails(status: JobStatus): string {
  const lines = [`**TDG job ${status.jobId ?? '(creating)'}** — ${status.state}`];
  const counts = status.counts;
  if (counts) {
    const parts = [
      `${counts.completed}/${totalBatches(counts)} completed`,
      counts.inProgress ? `${counts.inProgress} in progress` : '',
      counts.queued ? `${counts.queued} queued` : '',
      counts.waitingForUpload ? `${counts.waitingForUpload} waiting for upload` : '',
      counts.failed ? `${counts.failed} failed` : '',
      counts.malformed ? `${counts.malformed} malformed` : '',
    ].filter(Boolean);
    lines.push(`- batches: ${parts.join(', ')}`);
  }
  lines.push(
    `- checks: ${status.checks}, notifications: ${status.notifications}${status.notificationsRequested ? '' : ' (not requested)'}`,
  );
  if (status.nextCheckAt) lines.push(`- next check: ${status.nextCheckAt}`);
  if (status.lastError) lines.push(`- last error: ${status.lastError}`);
  return lines.join('\n');
}
