/** TDG job names: what the user asked for, plus the workflow id so a duplicate job can be traced back. */

/** TDG documents no limit; 255 keeps the name inside any ordinary VARCHAR column. */
export const MAX_JOB_NAME_CHARS = 255;

/**
 * `"Tutorial Job (wf: <workflowId>)"`, unless the name already carries the workflow id. When too long,
 * the user's part is shortened first so the traceable suffix survives. Counts code points, so an emoji
 * is never cut in half.
 */
export function jobNameFor(name: string, workflowId: string): string {
  const trimmed = name.trim();
  if (workflowId === '' || trimmed.includes(workflowId)) return truncate(trimmed, MAX_JOB_NAME_CHARS);
  const suffix = ` (wf: ${workflowId})`;
  const room = MAX_JOB_NAME_CHARS - Array.from(suffix).length;
  if (room <= 0) return truncate(`${trimmed}${suffix}`, MAX_JOB_NAME_CHARS);
  return `${truncate(trimmed, room)}${suffix}`;
}

function truncate(text: string, maxChars: number): string {
  const chars = Array.from(text);
  return chars.length <= maxChars ? text : chars.slice(0, maxChars).join('');
}
