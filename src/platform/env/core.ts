/**
 * The machinery every process's configuration goes through. A *section* is one concern's
 * environment variables — each a zod schema from the variable's text to a typed value, with its
 * default — plus a `build` step for the checks that span variables and the typed result.
 *
 * `loadSections` reads every section of a process, collects every problem (a bad variable's
 * message, then its section's cross-variable checks) and throws one ConfigError listing them
 * all. The cross-variable checks still run when a variable is bad: they see that variable's
 * fallback (see `variable`), so one typo does not hide the next problem.
 */
import { z } from 'zod';

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly problems: string[],
    message = `invalid configuration:\n  - ${problems.join('\n  - ')}`,
  ) {
    super(message);
  }
}

/** Empty and blank values count as unset; values are trimmed. */
function blankToUndefined(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The text of a variable after trimming: undefined when unset or blank. */
const rawText = z.string().optional();

/**
 * One environment variable: `parse` turns its text (undefined when unset) into the typed value
 * and applies the default; `fallback` is what the cross-variable checks see when the text is bad.
 * Messages are written without the variable's name: `must be …` (after the name and a space) or
 * `: …` (right after the name).
 */
export function variable<T>(
  parse: (text: string | undefined, ctx: z.RefinementCtx) => T,
  fallback: T,
): z.ZodCatch<z.ZodType<T, unknown>> {
  const schema: z.ZodType<T, unknown> = z.preprocess(blankToUndefined, rawText).transform(parse);
  return schema.catch(fallback);
}

/** Reports a bad value from inside `variable`'s `parse` (and returns a placeholder zod discards). */
export function invalid(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

export type Variables = Record<string, z.ZodCatch<z.ZodType<unknown, unknown>>>;
export type Values<V extends Variables> = { [K in keyof V]: z.output<V[K]> };

export interface Section<V extends Variables, T> {
  variables: V;
  /**
   * Cross-variable checks (pushed onto `problems`) and the section's typed result; `source` is the
   * whole environment, for the rare section that needs more than its own variables.
   */
  build: (env: Values<V>, problems: string[], source: Env) => T;
}

export function section<V extends Variables, T>(
  variables: V,
  build: (env: Values<V>, problems: string[], source: Env) => T,
): Section<V, T> {
  return { variables, build };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any section, whatever its variables
type AnySection = Section<any, unknown>;
export type SectionResults<S extends Record<string, AnySection>> = {
  [K in keyof S]: ReturnType<S[K]['build']>;
};

function describeIssue(issue: z.core.$ZodIssue): string {
  const name = issue.path.map(String).join('.');
  return issue.message.startsWith(':') ? `${name}${issue.message}` : `${name} ${issue.message}`;
}

/** Reads every section; throws one ConfigError (made by `error`) listing every problem. */
export function loadSections<S extends Record<string, AnySection>>(
  sections: S,
  source: Env,
  error: (problems: string[]) => ConfigError = (problems) => new ConfigError(problems),
): SectionResults<S> {
  const problems: string[] = [];
  const results: Record<string, unknown> = {};
  for (const [key, { variables, build }] of Object.entries(sections)) {
    const strict = z.object(
      Object.fromEntries(
        Object.entries(variables as Variables).map(([name, schema]) => [name, schema.unwrap()]),
      ),
    );
    const checked = strict.safeParse(source);
    if (!checked.success) problems.push(...checked.error.issues.map(describeIssue));
    const values = z.object(variables as Variables).parse(source);
    results[key] = build(values, problems, source);
  }
  if (problems.length > 0) throw error(problems);
  return results as SectionResults<S>;
}

/** The names a set of sections reads. */
export function variableNames(...sections: AnySection[]): string[] {
  return [...new Set(sections.flatMap((s) => Object.keys(s.variables as Variables)))];
}
