/**
 * The kinds of environment variable the sections are made of. Each returns a `variable` (a zod
 * schema with its default and its fallback): the message texts live here, once. A value is echoed
 * in a message only for kinds that never hold a secret, and then cut short.
 */
import { formatDuration } from '../../contract/duration.js';
import { DurationFormatError, parseDuration } from '../duration.js';
import { invalid, variable } from './core.js';

const shown = (text: string, max = 40): string => text.slice(0, max);

/** Free text; `fallback` when unset. */
export function text(): ReturnType<typeof variable<string | undefined>>;
export function text(fallback: string): ReturnType<typeof variable<string>>;
export function text(fallback?: string) {
  return variable((value) => value ?? fallback, fallback);
}

/** Required text (`hint` says what it is); a secret's text is never echoed anyway. */
export function required(hint: string) {
  return variable((value, ctx) => value ?? invalid(ctx, `is required (${hint})`), '');
}

/** A duration for a message, never rounded: `45s`, `1m30s`, or `7500ms` when not whole seconds. */
export function exactDuration(ms: number): string {
  return ms % 1_000 === 0 ? formatDuration(ms) : `${ms}ms`;
}

/** `[unit]` durations: 250ms, 90s, 5m, 2h, 3d, 1m30s, a bare number of ms. */
export function duration(fallback: string, range?: { min: number; max: number }) {
  const fallbackMs = parseDuration(fallback);
  return variable((value, ctx) => {
    if (value === undefined) return fallbackMs;
    let ms: number;
    try {
      ms = parseDuration(value);
    } catch (error) {
      if (!(error instanceof DurationFormatError)) throw error;
      return invalid(ctx, `: ${error.message}`);
    }
    if (range && (ms < range.min || ms > range.max)) {
      return invalid(ctx, `must be between ${range.min}ms and ${range.max}ms (got ${JSON.stringify(value)})`);
    }
    return ms;
  }, fallbackMs);
}

/** An optional duration (unset: undefined), within `range`. */
export function optionalDuration(range: { min: number; max: number }) {
  const inner = duration('0', range);
  return variable<number | undefined>((value, ctx) => {
    if (value === undefined) return undefined;
    const result = inner.unwrap().safeParse(value);
    if (result.success) return result.data;
    return invalid(ctx, result.error.issues[0]?.message ?? 'is invalid');
  }, undefined);
}

export function positiveNumber(fallback: number) {
  return variable((value, ctx) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0) {
      return invalid(ctx, `must be a positive number, got "${shown(value)}"`);
    }
    return parsed;
  }, fallback);
}

/** A whole number in [min, max]; unset: `fallback` (undefined: optional). */
export function wholeNumber(min: number, max: number): ReturnType<typeof variable<number | undefined>>;
export function wholeNumber(min: number, max: number, fallback: number): ReturnType<typeof variable<number>>;
export function wholeNumber(min: number, max: number, fallback?: number) {
  return variable((value, ctx) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      return invalid(
        ctx,
        `must be a whole number from ${min} to ${max} (got ${JSON.stringify(shown(value))})`,
      );
    }
    return Number(value);
  }, fallback);
}

/** A probability; unset: undefined. */
export function rate() {
  return variable<number | undefined>((value, ctx) => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!/^\d*\.?\d+$/.test(value) || parsed < 0 || parsed > 1) {
      return invalid(ctx, `must be a number from 0 to 1 (got ${JSON.stringify(shown(value))})`);
    }
    return parsed;
  }, undefined);
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

/** true/false (also 1/0, yes/no, on/off); unset: undefined. */
export function boolean() {
  return variable<boolean | undefined>((value, ctx) => {
    if (value === undefined) return undefined;
    const lower = value.toLowerCase();
    if (TRUE.includes(lower)) return true;
    if (FALSE.includes(lower)) return false;
    return invalid(ctx, `must be true or false, got "${shown(lower)}"`);
  }, undefined);
}

/** A port number (1-65535) or `off` (null). */
export function portOrOff(fallback: number) {
  return variable<number | null>((value, ctx) => {
    if (value === undefined) return fallback;
    if (['off', 'false', 'none', 'disabled'].includes(value.toLowerCase())) return null;
    const port = Number(value);
    if (!/^\d+$/.test(value) || port < 1 || port > 65_535) {
      return invalid(ctx, `must be a port number (1-65535) or "off", got "${shown(value)}"`);
    }
    return port;
  }, fallback);
}

/** A host name or IP address to bind to. */
export function bindHost(fallback: string) {
  return variable((value, ctx) => {
    const host = value ?? fallback;
    if (!/^[A-Za-z0-9.:_-]+$/.test(host) || host.startsWith('[')) {
      return invalid(ctx, `must be a host name or IP address, got "${shown(host, 60)}"`);
    }
    return host;
  }, fallback);
}

/** An http(s) URL without trailing slashes; unset: `fallback` (undefined: optional). */
export function httpUrl(): ReturnType<typeof variable<string | undefined>>;
export function httpUrl(fallback: string): ReturnType<typeof variable<string>>;
export function httpUrl(fallback?: string) {
  return variable((value, ctx) => {
    if (value === undefined) return fallback;
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      protocol = '';
    }
    if (protocol !== 'http:' && protocol !== 'https:') {
      return invalid(ctx, `must be an http(s) URL, got "${shown(value, 200)}"`);
    }
    return value.replace(/\/+$/, '');
  }, fallback ?? ''); // a bad optional URL still counts as set (empty) in the cross-variable checks
}

/** One of `choices`, case-insensitive (the result is upper-case). */
export function upperCaseChoice<C extends string>(choices: readonly C[], fallback: C) {
  return variable<C>((value, ctx) => {
    const upper = (value ?? fallback).toUpperCase();
    if (!(choices as readonly string[]).includes(upper)) {
      return invalid(ctx, `must be one of ${choices.join(', ')}, got "${shown(upper)}"`);
    }
    return upper as C;
  }, fallback);
}

/** Text matching `pattern` (e.g. an API version); `example` goes into the message. */
export function matching(pattern: RegExp, fallback: string, example: string) {
  return variable((value, ctx) => {
    const found = value ?? fallback;
    if (!pattern.test(found)) return invalid(ctx, `must look like ${example}, got "${shown(found)}"`);
    return found;
  }, fallback);
}

/** A comma-separated list (blank items dropped). */
export function list() {
  return variable<string[] | undefined>(
    (value) =>
      value
        ?.split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    undefined,
  );
}

export const MIN_SECRET_BYTES = 32;

/** A signing secret of at least 32 bytes; the message gives its length, never the secret. */
export function signingSecret(options: { required?: string } = {}) {
  return variable<string | undefined>((value, ctx) => {
    if (value === undefined) {
      return options.required === undefined ? undefined : invalid(ctx, `is required (${options.required})`);
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes < MIN_SECRET_BYTES) {
      return invalid(ctx, `must be at least ${MIN_SECRET_BYTES} bytes (it has ${bytes})`);
    }
    return value;
  }, ''); // a bad secret still counts as set (empty) in the cross-variable checks
}
