/**
 * How every process reads its environment: one zod schema per section (a concern's variables, each
 * with its one default, plus `rule`s for checks that span variables), parsed once at start-up.
 * `loadSections` parses every section of a process and throws one ConfigError listing every
 * problem. Blank values count as unset. A value is echoed in a message only for kinds that never
 * hold a secret, and then cut short.
 */
import { accessSync, constants } from 'node:fs';
import { z } from 'zod';
import { DurationFormatError, parseDuration } from '../duration.js';
import { ConfigError } from './config-error.js';

export type Env = Readonly<Record<string, string | undefined>>;

// Its own module, so a process can tell a configuration error without loading zod.
export { ConfigError } from './config-error.js';

const shown = (value: unknown, max = 40): string => JSON.stringify(String(value).slice(0, max));

/**
 * The checks across variables: `.superRefine(problems((env) => …), needs(...names))` reports what
 * the check returns, and runs when the variables it names are valid, so one bad value does not
 * hide the next problem.
 */
export function problems<T>(check: (env: T) => string | string[] | undefined) {
  return (env: T, ctx: z.RefinementCtx): void => {
    for (const message of [check(env) ?? []].flat()) ctx.addIssue({ code: 'custom', message });
  };
}

export function needs(...names: string[]): { when: (payload: z.core.ParsePayload) => boolean } {
  return { when: (payload) => !payload.issues.some((issue) => names.includes(String(issue.path?.[0]))) };
}

/** The kinds of variable. Messages are written without the name: `must be …`, or `: …` right after it. */
export const text = z.string();

export const required = (hint: string) =>
  z.string({ error: (issue) => (issue.input === undefined ? `is required (${hint})` : undefined) });

/** `[unit]` durations (250ms, 90s, 5m, 2h, 3d, 1m30s, a bare number of ms) to milliseconds. */
export const duration = (range?: { min: number; max: number }) =>
  z.string().transform((value, ctx) => {
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      if (!(error instanceof DurationFormatError)) throw error;
      ctx.addIssue({ code: 'custom', message: `: ${error.message}` });
      return z.NEVER;
    }
    if (range && (ms < range.min || ms > range.max)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be between ${range.min}ms and ${range.max}ms (got ${shown(value)})`,
      });
    }
    return ms;
  });

/** `schema` applied to the text, with one message that quotes the text as written. */
const checked = <T>(schema: z.ZodType<T, string>, message: (value: string) => string) =>
  z
    .string()
    .refine((value) => schema.safeParse(value).success, { error: (issue) => message(String(issue.input)) })
    .pipe(schema);

export const wholeNumber = (min: number, max: number) =>
  checked(
    z.coerce.number<string>().int().min(min).max(max),
    (value) => `must be a whole number from ${min} to ${max} (got ${shown(value)})`,
  );

export const positiveNumber = checked(
  z.coerce.number<string>().positive(),
  (value) => `must be a positive number, got ${shown(value)}`,
);

export const rate = checked(
  z.coerce.number<string>().min(0).max(1),
  (value) => `must be a number from 0 to 1 (got ${shown(value)})`,
);

/** true/false (also 1/0, yes/no, on/off, …). */
export const flag = checked(
  z.stringbool(),
  (value) => `must be true or false, got ${shown(value.toLowerCase())}`,
);

const OFF = ['off', 'false', 'none', 'disabled'];
/** A port number (1-65535) or `off` (null). */
export const portOrOff = z.string().transform((value, ctx) => {
  if (OFF.includes(value.toLowerCase())) return null;
  const port = Number(value);
  if (/^\d+$/.test(value) && port >= 1 && port <= 65_535) return port;
  ctx.addIssue({ code: 'custom', message: `must be a port number (1-65535) or "off", got ${shown(value)}` });
  return z.NEVER;
});

/** A host name or IP address to bind to. */
export const bindHost = z.string().regex(/^[A-Za-z0-9.:_-]+$/, {
  error: (issue) => `must be a host name or IP address, got ${shown(issue.input, 60)}`,
});

/** An http(s) URL, without trailing slashes. */
export const httpUrl = z
  .url({ protocol: /^https?$/, error: (issue) => `must be an http(s) URL, got ${shown(issue.input, 200)}` })
  .transform((url) => url.replace(/\/+$/, ''));

/** One of `choices`, any case (the value is upper-cased). */
export const upperCaseChoice = <C extends string>(choices: readonly [C, ...C[]]) =>
  z
    .string()
    .toUpperCase()
    .pipe(
      z.enum(choices, {
        error: (issue) => `must be one of ${choices.join(', ')}, got ${shown(issue.input)}`,
      }),
    );

/** A comma-separated list (blank items dropped). */
export const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

export const MIN_SECRET_BYTES = 32;
/** A signing secret of at least 32 bytes; the message gives its length, never the secret. */
export const signingSecret = z.string().check((ctx) => {
  const bytes = Buffer.byteLength(ctx.value, 'utf8');
  if (bytes < MIN_SECRET_BYTES) {
    ctx.issues.push({
      code: 'custom',
      input: '',
      message: `must be at least ${MIN_SECRET_BYTES} bytes (it has ${bytes})`,
    });
  }
});

/** A file that must be readable at start-up. */
export const readableFile = z.string().refine(
  (path) => {
    try {
      accessSync(path, constants.R_OK);
      return true;
    } catch {
      return false;
    }
  },
  { error: (issue) => `: cannot read the file "${String(issue.input)}"` },
);

/** The variables a section reads (the keys of its object schema). */
export function variableNames(...sections: z.ZodType[]): string[] {
  return [...new Set(sections.flatMap((section) => Object.keys(shapeOf(section))))];
}

/** Each variable's default as written in the environment (`'7s'`, `100`), for the docs' table. */
export function variableDefaults(...sections: z.ZodType[]): Map<string, unknown> {
  const defaults = new Map<string, unknown>();
  for (const section of sections) {
    for (const [name, schema] of Object.entries(shapeOf(section))) {
      const def = schema._zod.def as { type: string; defaultValue?: unknown };
      if (def.type === 'prefault' || def.type === 'default') defaults.set(name, def.defaultValue);
    }
  }
  return defaults;
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  let inner = schema as z.ZodType & { shape?: Record<string, z.ZodType>; in?: z.ZodType };
  while (inner.shape === undefined && inner.in !== undefined) inner = inner.in;
  return inner.shape ?? {};
}

function describe(issue: z.core.$ZodIssue): string {
  const name = issue.path.map(String).join('.');
  if (name === '') return issue.message;
  return issue.message.startsWith(':') ? `${name}${issue.message}` : `${name} ${issue.message}`;
}

export type SectionResults<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.output<S[K]> };

/** Parses every section; throws one ConfigError (made by `error`) listing every problem. */
export function loadSections<S extends Record<string, z.ZodType>>(
  sections: S,
  source: Env,
  error: (problems: string[]) => ConfigError = (problems) => new ConfigError(problems),
): SectionResults<S> {
  const env = Object.fromEntries(
    Object.entries(source).flatMap(([name, value]) => (value?.trim() ? [[name, value.trim()]] : [])),
  );
  const problems: string[] = [];
  const results: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(sections)) {
    const parsed = schema.safeParse(env);
    if (parsed.success) results[key] = parsed.data;
    else problems.push(...parsed.error.issues.map(describe));
  }
  if (problems.length > 0) throw error(problems);
  return results as SectionResults<S>;
}
