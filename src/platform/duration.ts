/**
 * Durations as people write them in env files and job tags: `250ms`, `10s`, `90s`, `5m`, `2h`,
 * `3d`, decimals (`1.5h`), compounds (`1h30m`), or a bare number of milliseconds.
 */
export class DurationFormatError extends Error {
  override readonly name = 'DurationFormatError';
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const BARE_NUMBER = /^\d+(?:\.\d+)?$/;
const COMPOUND = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/** Milliseconds (rounded to an integer); throws DurationFormatError with the offending text. */
export function parseDuration(text: string): number {
  const compact = text.trim().toLowerCase();
  let ms: number;
  if (BARE_NUMBER.test(compact)) {
    ms = Number(compact);
  } else if (COMPOUND.test(compact)) {
    ms = 0;
    for (const [, amount, unit] of compact.matchAll(PART))
      ms += Number(amount) * (UNIT_MS[unit ?? ''] ?? NaN);
  } else {
    throw new DurationFormatError(
      `invalid duration ${JSON.stringify(text)}: use a number with a unit (ms, s, m, h, d), e.g. 250ms, 90s, 5m, 2h, 3d, 1h30m`,
    );
  }
  const rounded = Math.round(ms);
  if (!Number.isSafeInteger(rounded))
    throw new DurationFormatError(`duration ${JSON.stringify(text)} is too large`);
  return rounded;
}
