/**
 * Command lines of the bench scripts: `node:util` parseArgs, strict (an unknown flag, a missing
 * value or a stray argument is an error), `--help`/`-h` prints the usage and exits 0, and every
 * usage error is one line on stderr and exit code 2, never a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseDuration } from '../../../src/platform/duration.js';

type Options = NonNullable<ParseArgsConfig['options']>;
interface StrictConfig<O extends Options> {
  args: string[];
  options: O;
  strict: true;
  allowPositionals: true;
}
/** What parseArgs makes of the command line: `values` by option name, and `positionals`. */
export type CommandLine<O extends Options> = ReturnType<typeof parseArgs<StrictConfig<O>>>;

/** The flags the benchmark and the chaos run both take (each script gives them its own defaults). */
export const RUN_FLAGS = {
  jobs: { type: 'string' },
  durations: { type: 'string' },
  'time-scale': { type: 'string' },
  ramp: { type: 'string' },
  seed: { type: 'string' },
  name: { type: 'string' },
  out: { type: 'string' },
  quick: { type: 'boolean', default: false },
} as const satisfies Options;

/** A command line the script cannot run with; reported as one line, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

function isUsageError(error: unknown): error is Error {
  if (error instanceof UsageError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_');
}

/**
 * Parses `argv` against `options` (plus `--help`) and hands the result to `interpret`, which turns
 * it into the script's settings and throws UsageError for a bad value. At most `maxPositionals`
 * bare arguments are accepted.
 */
export function parseCommandLine<O extends Options, R>(
  spec: { usage: string; options: O; maxPositionals?: number; argv?: string[] },
  interpret: (line: CommandLine<O>) => R,
): R {
  try {
    const line = parseArgs({
      args: spec.argv ?? process.argv.slice(2),
      options: { ...spec.options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
    if ((line.values as { help?: boolean }).help === true) {
      process.stdout.write(`${spec.usage}\n`);
      process.exit(0);
    }
    const extra = line.positionals[spec.maxPositionals ?? 0];
    if (extra !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
    return interpret(line);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    // Node's unknown-option message goes on about positionals after `--`: the first sentence says it.
    const message = error.message.replace(/\s+/g, ' ').replace(/^(Unknown option '[^']*')\..*$/, '$1');
    process.stderr.write(`error: ${message} (--help for usage)\n`);
    process.exit(2);
  }
}

/** Runs `parse` on a flag's value; any error it throws becomes a UsageError naming `flag` (`--jobs`). */
export function flagValue<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

/** A positive number (an integer when `integer`; 0 too when `zero`); `fallback` when the flag is absent. */
export function numberFlag(
  flag: string,
  text: string | undefined,
  fallback: number,
  { integer = false, zero = false }: { integer?: boolean; zero?: boolean } = {},
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const ok =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    (zero ? value >= 0 : value > 0) &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const kind = `${zero ? 'a non-negative' : 'a positive'} ${integer ? 'integer' : 'number'}`;
    throw new UsageError(`${flag} must be ${kind}, got ${JSON.stringify(text)}`);
  }
  return value;
}

/** A duration such as `90s` or `10m`, in milliseconds. */
export function durationFlag(flag: string, text: string): number {
  return flagValue(flag, () => parseDuration(text));
}

/** `10s..30m` as [low, high] milliseconds, 0 < low ≤ high; a single duration is both ends. */
export function durationRangeFlag(flag: string, text: string): [number, number] {
  const [lo = '', hi = lo, ...rest] = text.split('..');
  if (rest.length > 0) throw new UsageError(`${flag} must be LOW..HIGH, got ${JSON.stringify(text)}`);
  const range: [number, number] = [durationFlag(flag, lo), durationFlag(flag, hi)];
  if (range[0] <= 0 || range[1] < range[0])
    throw new UsageError(`${flag} needs 0 < LOW ≤ HIGH, got ${JSON.stringify(text)}`);
  return range;
}
