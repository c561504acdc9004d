/** What the simulator's run-time controls (`/_sim/faults`, `/_sim/settings`) share: the shape check and its error. */

/**
 * A control value that does not check out (from options or a `PUT /_sim/…`). Thrown inside a route,
 * the app's error handler answers it as a 400 with the message (`statusCode`, like fastify's own errors).
 */
export class ControlValidationError extends Error {
  override readonly name = 'ControlValidationError';
  readonly statusCode = 400;
}

/**
 * `input` as a record whose keys are all those of `defaults` or fewer. Unknown keys are errors rather
 * than ignored: they are typos of a control that then silently does nothing.
 */
export function knownKeysObject(
  input: unknown,
  defaults: object,
  names: { whole: string; unknownKeys: string },
): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ControlValidationError(`${names.whole} must be a JSON object`);
  }
  const source = input as Record<string, unknown>;
  const known = Object.keys(defaults);
  const unknown = Object.keys(source).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new ControlValidationError(
      `unknown ${names.unknownKeys} ${unknown.join(', ')} (known: ${known.join(', ')})`,
    );
  }
  return source;
}
