/** What a new job's workflow is started with besides its input: its id and the Web UI's static details. */
import { escapeMarkdown, formatDuration, type NotificationMethod } from '../contract/index.js';

export function defaultWorkflowId(name: string, now = new Date()): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const stamp = now
    .toISOString()
    .replace(/[-:TZ.]/g, '')
    .slice(0, 14);
  const suffix = Math.random().toString(36).slice(2, 8);
  return `tdg-${slug || 'job'}-${stamp}-${suffix}`;
}

/** The Web UI's static "Details" (markdown): what this job was started with. No secrets. */
export function staticDetails(
  options: { name: string; notificationMethod?: NotificationMethod | null; deadlineMs?: number },
  workflowId: string,
): string {
  const method = options.notificationMethod === undefined ? 'POST' : options.notificationMethod;
  const notify = method ? `${method} to our listener (a hint; a check decides)` : 'none: polling only';
  return [
    `- **job name:** ${escapeMarkdown(options.name)}`,
    `- **notifications:** ${notify}`,
    `- **deadline:** ${options.deadlineMs === undefined ? '7d (default)' : formatDuration(options.deadlineMs)} from the start`,
    `- **progress:** Current Details, or \`npm run job -- status ${workflowId}\``,
  ].join('\n');
}
