/**
 * Who may have payloads decrypted. Two proofs, both rooted in CODEC_SERVER_TOKENS:
 *
 * - `Authorization: Bearer <token>`: the `temporal` CLI (`--codec-auth "Bearer …"`), scripts and
 *   services.
 * - A session cookie, for the Web UI in a browser: the person signs in once at `/login` with a
 *   token and the codec server sets an HttpOnly cookie; the UI, with "include cross-origin
 *   credentials" on (ui-server `codec.includeCredentials`), sends it with every decode request.
 *   The cookie is `<expiry>.<HMAC-SHA256(token, expiry)>`: nothing to store, it expires on its own,
 *   and removing a token from the configuration ends every session made with it.
 *
 * The Origin check (CORS, app.ts) only keeps other web pages from using a signed-in browser; this
 * is the authorization. Tokens are compared in constant time and never logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'tdg_codec_session';

const digest = (value: string): Buffer => createHmac('sha256', 'tdg-codec-token').update(value).digest();

/** Constant time whatever the lengths: both sides are hashed to one length first. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The configured token `candidate` is, if any (every token is compared, match or not). */
export function matchingToken(tokens: readonly string[], candidate: string): string | null {
  let found: string | null = null;
  for (const token of tokens) if (sameSecret(token, candidate) && found === null) found = token;
  return found;
}

/** `Bearer <token>` (scheme in any case) → the token; anything else → null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

const sessionMac = (token: string, expiresAt: number): string =>
  createHmac('sha256', token).update(`tdg-codec-session:${expiresAt}`).digest('base64url');

export function newSession(token: string, ttlMs: number, now: number): string {
  const expiresAt = now + ttlMs;
  return `${expiresAt}.${sessionMac(token, expiresAt)}`;
}

/** True when `value` is an unexpired session made with one of `tokens`. */
export function validSession(tokens: readonly string[], value: string | undefined, now: number): boolean {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!match) return false;
  const expiresAt = Number(match[1]);
  if (!(expiresAt > now)) return false;
  let valid = false;
  for (const token of tokens) if (sameSecret(sessionMac(token, expiresAt), match[2] ?? '')) valid = true;
  return valid;
}

/** One cookie's value from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie header. Over https (any non-loopback UI origin): `SameSite=None; Secure`, so the
 * UI's cross-origin requests carry it. A loopback-only setup (the dev stack) is plain http, where
 * browsers refuse `Secure` from a non-localhost name: `SameSite=Lax` there (same site, other port).
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    'Path=/',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    ...(secure ? ['SameSite=None', 'Secure'] : ['SameSite=Lax']),
  ].join('; ');
}
