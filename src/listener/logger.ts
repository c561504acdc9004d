/**
 * The listener's own small logger. Fastify's request logging is off: its default request
 * serializer writes the full URL, and the URL's query carries the signature (design §4: the
 * signature must not spread). Everything the listener logs goes through here, already redacted.
 */
export type { ProcessLogger as ListenerLogger } from '../platform/process.js';
export { quietLogger } from '../platform/process.js';

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
