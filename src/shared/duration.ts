/** Parses "250ms", "90s", "5m", "2h", "3d" (or a bare number of milliseconds) into milliseconds. */
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) throw new Error(`"${text}" is not a duration (use e.g. 250ms, 90s, 5m, 2h, 3d)`);
  const value = Number(match[1]) * (UNITS[(match[2] ?? 'ms').toLowerCase()] ?? 1);
  if (!Number.isFinite(value)) throw new Error(`"${text}" is too large a duration`);
  return Math.round(value);
}
