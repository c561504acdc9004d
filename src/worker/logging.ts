/**
 * The worker's log lines, as the Temporal runtime's logger writes them: the SDK's DefaultLogger
 * (stderr, LOG_LEVEL), deliberate workflow failures on one line (worker-logger.ts), behind a filter
 * that drops activity task tokens. The SDK adds `taskToken` to
 * every activity log line (its default activity log attributes, e.g. the WARN "Activity failed"),
 * and a task token is a capability: whoever holds it can complete, fail or heartbeat that activity.
 * The workflow id, activity id and attempt that stay in the line identify the activity as well.
 */
import {
  DefaultLogger,
  type LogEntry,
  type Logger,
  type LogLevel,
  type LogMetadata,
} from '@temporalio/worker';
import { WorkerLogger } from './worker-logger.js';

export const REDACTED_TOKEN = '[redacted]';
/** `taskToken`, `base64TaskToken`, `task_token` in any case. */
const TOKEN_KEY = /^(base64)?task_?token$/i;
/**
 * A base64 run of 80+ characters in a message: task tokens are longer than that, and the SDK names
 * them in a few messages of its own (`… already running activity: <token>`).
 */
const LONG_BASE64 = /[A-Za-z0-9+/]{80,}={0,2}/g;

function scrub(value: unknown, depth: number): unknown {
  if (depth > 4 || typeof value !== 'object' || value === null || value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => scrub(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      TOKEN_KEY.test(key) ? [] : [[key, scrub(item, depth + 1)]],
    ),
  );
}

/** `logger` without task tokens in any line's metadata or message. */
export function withoutTaskTokens(logger: Logger): Logger {
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const clean = message.replace(LONG_BASE64, REDACTED_TOKEN);
    if (meta === undefined) logger.log(level, clean);
    else logger.log(level, clean, scrub(meta, 0) as LogMetadata);
  };
  return {
    log,
    trace: (message, meta) => log('TRACE', message, meta),
    debug: (message, meta) => log('DEBUG', message, meta),
    info: (message, meta) => log('INFO', message, meta),
    warn: (message, meta) => log('WARN', message, meta),
    error: (message, meta) => log('ERROR', message, meta),
  };
}

/** The worker process's runtime logger (`Runtime.install({ logger })`); `write` replaces stderr (tests). */
export function workerLogger(level: LogLevel, write?: (entry: LogEntry) => void): Logger {
  return withoutTaskTokens(
    new WorkerLogger(write ? new DefaultLogger(level, write) : new DefaultLogger(level)),
  );
}
