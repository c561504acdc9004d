/**
 * The services' one log format (listener and simulator; the worker keeps the Temporal SDK's logger,
 * the CLI plain stderr): pino JSON lines on stdout, one per event, with the field names the worker's
 * SDK logger uses where they overlap — `level` by name (`INFO`, as LOG_LEVEL spells it), `message`,
 * and the event's fields beside them — plus an ISO `time` and `service`.
 *
 * Fastify logs through the same logger (`loggerInstance`), so requests are logged by fastify itself;
 * the serializers here decide what of a request reaches a line. The notification URL's query carries
 * the signature (a secret: it must not spread), so the `sig` value is replaced with `[redacted]` and
 * any stand-alone 64-hex run is masked (one inside a workflow id is not); request headers (x-api-key, authorizationtoken, authorization) are never
 * logged at all.
 */
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
/** LOG_LEVEL's names: the worker's (the Temporal SDK's) levels. */
export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const satisfies readonly LogLevel[];

export type Service = 'listener' | 'simulator' | 'codec-server';
/** A service's logger: pino's API, `logger.info({ ...fields }, 'message')` (fields first). */
export type ServiceLogger = Logger;

export const REDACTED = '[redacted]';
const MAX_LOGGED_URL = 512;
/**
 * A signature is 64 hex digits; a caller may put one anywhere, so such a run is masked when it
 * stands alone (or right after a percent-encoded separator) — but not a run inside a longer
 * workflow id (`job-<sha256>`), which stays readable in the logs.
 */
const HEX_SIGNATURE_RUN = /(?:(?<![A-Za-z0-9._:-])|(?<=%[0-9a-f]{2}))[0-9a-f]{64}(?![A-Za-z0-9._:-])/gi;
/** `?key=value` / `&key=value`; the key is compared decoded, as fastify's query parser reads it. */
const QUERY_PARAM = /([?&])([^=&#?\s]*)=([^&#\s]*)/g;
const SIGNATURE_PARAM = 'sig';

export function redactSignatures(text: string): string {
  return text.replace(HEX_SIGNATURE_RUN, REDACTED);
}

function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/** Any `sig=` parameter's value (whatever its case or percent-encoding) and any signature-shaped run masked. */
export function redactText(text: string): string {
  const params = text.replace(QUERY_PARAM, (whole, separator: string, key: string) =>
    decodedKey(key).trim().toLowerCase() === SIGNATURE_PARAM ? `${separator}${key}=${REDACTED}` : whole,
  );
  return redactSignatures(params);
}

/** A request URL as it may be logged: redacted first, then bounded (a cut never leaves part of a signature). */
export function redactUrl(url: string): string {
  const redacted = redactText(url);
  return redacted.length > MAX_LOGGED_URL ? `${redacted.slice(0, MAX_LOGGED_URL)}…` : redacted;
}

interface RequestLike {
  method?: string;
  url?: string;
  /** Fastify's request has `ip`; a raw IncomingMessage only its socket. */
  ip?: string;
  socket?: { remoteAddress?: string; remotePort?: number } | null;
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  statusCode?: unknown;
  stack?: unknown;
  cause?: unknown;
}

interface LoggedError {
  type: string;
  message: string;
  code?: string;
  statusCode?: number;
  stack?: string;
  cause?: LoggedError | string;
}

function serializeError(error: unknown, depth = 0): LoggedError | string {
  if (typeof error !== 'object' || error === null) return redactText(String(error));
  const e = error as ErrorLike;
  const out: LoggedError = {
    type: typeof e.name === 'string' ? e.name : 'Error',
    message: redactText(typeof e.message === 'string' ? e.message : ''),
  };
  // Picked, never copied wholesale: Node's clientError carries the raw request bytes (`rawPacket`).
  if (typeof e.code === 'string') out.code = e.code;
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  if (typeof e.stack === 'string') out.stack = redactText(e.stack);
  if (e.cause !== undefined && depth < 3) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/**
 * What of a request, a reply and an error reaches a line (the keys fastify logs them under). No
 * headers: they carry x-api-key, authorizationtoken and authorization.
 */
export const logSerializers = {
  req: (req: RequestLike) => ({
    method: req.method,
    url: typeof req.url === 'string' ? redactUrl(req.url) : undefined,
    remoteAddress: req.ip ?? req.socket?.remoteAddress,
    remotePort: req.socket?.remotePort,
  }),
  res: (reply: { statusCode?: number }) => ({ statusCode: reply.statusCode }),
  err: (error: unknown) => serializeError(error),
};

/** Top-level string fields of a line (a URL someone logs as a plain field) get the same redaction. */
function redactFields(object: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(object)) {
    if (typeof value !== 'string') continue;
    const redacted = redactText(value);
    if (redacted !== value) (out ??= { ...object })[key] = redacted;
  }
  return out ?? object;
}

/**
 * What an app logs through: the given logger with these serializers winning over any it has, so an
 * app handed some other pino logger still never prints a signature or a header.
 */
export function withLogSerializers(logger: ServiceLogger): ServiceLogger {
  return logger.child({}, { serializers: logSerializers });
}

export type ServiceLogLevel = LogLevel | 'SILENT';

/** The pino options every service logger is built from (exported so tests can build one on their own stream). */
export function serviceLoggerOptions(service: Service, level: ServiceLogLevel = 'INFO'): LoggerOptions {
  return {
    level: level.toLowerCase(),
    base: { service },
    messageKey: 'message',
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: logSerializers,
    formatters: {
      level: (label) => ({ level: label.toUpperCase() }),
      log: redactFields,
    },
    hooks: {
      // Messages are text someone wrote, possibly with a URL in it: the same redaction as fields.
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        if (first instanceof Error) {
          const message = typeof rest[0] === 'string' ? rest.shift() : first.message;
          return method.apply(this, [{ err: first }, redactText(String(message)), ...rest] as Parameters<
            typeof method
          >);
        }
        const redacted = args.map((arg: unknown) => (typeof arg === 'string' ? redactText(arg) : arg));
        return method.apply(this, redacted as Parameters<typeof method>);
      },
    },
  };
}

/**
 * LOG_LEVEL with the worker's names (TRACE, DEBUG, INFO, WARN, ERROR; any case), INFO when unset.
 * An unknown value is reported, not fatal: `problem` says what was wrong and INFO is used.
 */
export function logLevelFromEnv(env: NodeJS.ProcessEnv): { level: LogLevel; problem?: string } {
  const raw = (env.LOG_LEVEL ?? '').trim().toUpperCase();
  if (raw === '') return { level: 'INFO' };
  if ((LOG_LEVELS as readonly string[]).includes(raw)) return { level: raw as LogLevel };
  return {
    level: 'INFO',
    problem: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${raw.slice(0, 40)}"; using INFO`,
  };
}

export interface CreateServiceLoggerOptions {
  /** Read for LOG_LEVEL; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Default: stdout, written synchronously (so nothing is lost when the process exits). */
  destination?: DestinationStream;
}

/** A process's logger (src/listener/run.ts, tooling/simulator/run.ts). */
export function createServiceLogger(
  service: Service,
  options: CreateServiceLoggerOptions = {},
): ServiceLogger {
  const { level, problem } = logLevelFromEnv(options.env ?? process.env);
  const logger = options.destination
    ? pino(serviceLoggerOptions(service, level), options.destination)
    : pino(serviceLoggerOptions(service, level));
  if (problem !== undefined) logger.warn({ variable: 'LOG_LEVEL' }, problem);
  return logger;
}

/** Logs nothing: the default for apps built in-process (tests, dev stack, benchmarks). */
export const silentLogger: ServiceLogger = pino({ level: 'silent' });
