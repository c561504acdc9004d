/**
 * The one human form of a duration, for logs, timer summaries (recorded in history), the Web UI and
 * the CLI: `250ms` below a second, else whole seconds as `5s`, `1m30s`, `1h02m05s`, `7d`: units
 * from the largest, later ones two digits, trailing zero units dropped. `parseDuration` reads it back.
 */
const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1_000) * 1_000;
  const parts: string[] = [];
  for (const [unit, size] of UNITS) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (parts.length === 0 && amount === 0) continue;
    parts.push(`${parts.length === 0 ? amount : String(amount).padStart(2, '0')}${unit}`);
  }
  while (parts.length > 1 && /^00\D/.test(parts[parts.length - 1] ?? '')) parts.pop();
  return parts.join('');
}

/** A duration for a message, never rounded: `45s`, `1m30s`, or `7500ms` when not whole seconds. */
export function exactDuration(ms: number): string {
  return ms % 1_000 === 0 ? formatDuration(ms) : `${ms}ms`;
}
