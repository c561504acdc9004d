/**
 * The listener's own small logger. Fastify's request logging is off: its default request
 * serializer writes the full URL, and the URL's query carries the signature (design §4: the
 * signature must not spread). Everything the listener logs goes through here, already redacted.
 */
export interface ListenerLogger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

export const quietLogger: ListenerLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** One line per event, for `npm run listener`. */
export function consoleLogger(prefix = 'listener'): ListenerLogger {
  const line = (msg: string, meta?: object): string =>
    `${new Date().toISOString()} [${prefix}] ${msg}${meta === undefined ? '' : ` ${JSON.stringify(meta)}`}`;
  return {
    info: (msg, meta) => console.log(line(msg, meta)),
    warn: (msg, meta) => console.warn(line(msg, meta)),
    error: (msg, meta) => console.error(line(msg, meta)),
  };
}

const MAX_LOGGED_PATH = 300;
/** A signature is 64 hex digits; a caller may put one anywhere, so any such run is masked. */
const HEX_SIGNATURE_RUN = /[0-9a-f]{64}/gi;

export function redactSignatures(text: string): string {
  return text.replace(HEX_SIGNATURE_RUN, '[redacted]');
}

/** The path only (the query may hold `sig`), bounded, with anything signature-shaped masked. */
export function loggablePath(url: string): string {
  const cut = url.search(/[?#]/);
  const path = cut < 0 ? url : url.slice(0, cut);
  const bounded = path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
  return redactSignatures(bounded);
}
