/**
 * What may differ between two runs of the same documented command — ids, times, durations,
 * hashes, ports — replaced by placeholders on both sides before they are compared, and the
 * comparison itself (a line that is only `…` in the page stands for any number of lines).
 */

/** Order matters: the longer, more specific shapes go first so a shorter rule cannot split them. */
const RULES: readonly [RegExp, string][] = [
  // ISO times (status, errors) and the table's `2026-12-06 12:53:51`.
  [/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z\b/g, '<time>'],
  [/\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\b/g, '<time>'],
  // A generated workflow id's stamp and random suffix (defaultWorkflowId).
  [/\b\d{14}-[a-z0-9]{6}\b/g, '<stamp>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>'],
  // TDG job ids (15 hex), batch ids (16), build ids (wf-<12>), hashes.
  [/\b[0-9a-f]{12,64}\b/g, '<hex>'],
  [/\b\d{2}:\d{2}:\d{2}\b/g, '<time>'],
  [/\b(?:127\.0\.0\.1|localhost):\d+\b/g, '<address>'],
  // 25s, 9m36s, 1.5s, 250ms, 366d.
  [/\b\d+(?:\.\d+)?(?:ms|s|m|h|d)(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))*\b/g, '<duration>'],
];

/** Elision in a page: the line stands for any number of output lines. */
export const ELISION = '…';

export function normaliseLine(line: string): string {
  let out = line.replace(/\s+$/, '');
  for (const [pattern, placeholder] of RULES) out = out.replace(pattern, placeholder);
  // Table columns are padded to the longest cell, and a placeholder is not as long as its value.
  return out.replace(/ {2,}/g, '  ');
}

export const isElision = (line: string): boolean => line.trim() === ELISION;

/** Whether `actual` (normalised) is what `expected` (normalised, elisions allowed) shows. */
export function matches(expected: readonly string[], actual: readonly string[]): boolean {
  const memo = new Map<string, boolean>();
  const at = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (e === expected.length) result = a === actual.length;
    else if (isElision(expected[e] ?? '')) result = at(e + 1, a) || (a < actual.length && at(e, a + 1));
    else result = a < actual.length && expected[e] === actual[a] && at(e + 1, a + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

/** A line diff for a person: `-` what the page shows, `+` what the run printed, ` ` both. */
export function lineDiff(expected: readonly string[], actual: readonly string[]): string[] {
  const n = expected.length;
  const m = actual.length;
  // Longest common subsequence, elisions matching nothing (they are shown as removed context).
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i]![j] =
        expected[i] === actual[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      out.push(`  ${expected[i]}`);
      i++;
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${expected[i++]}`);
    else out.push(`+ ${actual[j++]}`);
  }
  return out;
}

/**
 * A run's output as the page should show it, keeping the page's elision: the lines before its
 * first `…` and after its last one are kept in number, the rest elided as before.
 */
export function withElision(expected: readonly string[], actual: readonly string[]): string[] {
  const first = expected.findIndex(isElision);
  if (first < 0) return [...actual];
  const last = expected.length - 1 - [...expected].reverse().findIndex(isElision);
  const tail = expected.length - 1 - last;
  if (actual.length <= first + tail) return [...actual];
  return [...actual.slice(0, first), expected[first] ?? ELISION, ...actual.slice(actual.length - tail)];
}
