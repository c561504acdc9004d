/** A configuration that cannot run: every problem found, one per line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    message = `invalid configuration:\n  - ${problems.join('\n  - ')}`,
  ) {
    super(message);
  }
}
