/** The shape check shared by the simulator's run-time controls (`/_sim/faults`, `/_sim/settings`). */

/**
 * `input` as a record whose keys are all in `known`; otherwise `fail` gets what is wrong. Unknown
 * keys are errors rather than ignored: they are typos of a control that then silently does nothing.
 */
export function knownKeysObject(
  input: unknown,
  known: readonly string[],
  names: { whole: string; unknownKeys: string },
  fail: (message: string) => Error,
): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw fail(`${names.whole} must be a JSON object`);
  }
  const source = input as Record<string, unknown>;
  const unknown = Object.keys(source).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw fail(`unknown ${names.unknownKeys} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  }
  return source;
}
