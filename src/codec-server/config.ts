/**
 * The codec server's environment: CODEC_SERVER_* (where it listens, who may call it), the payload
 * codec's keys (env/codec.ts, required here) and TEMPORAL_NAMESPACE (the one namespace it decodes
 * for). Tokens are checked for length only and never echoed.
 */
import { z } from 'zod';
import type { CodecKey } from '../platform/payload-codec.js';
import { payloadCodecSection } from '../platform/env/codec.js';
import {
  bindHost,
  duration,
  list,
  loadSections,
  needs,
  problems,
  required,
  signingSecret,
  text,
  wholeNumber,
  type Env,
} from '../platform/env/schema.js';
import { isLoopbackHost } from '../platform/url-host.js';

export const DEFAULT_CODEC_SERVER_PORT = 8789;

/** `scheme://host[:port]` exactly as a browser sends it in `Origin`. */
function originProblem(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `CODEC_SERVER_UI_ORIGINS: "${origin.slice(0, 100)}" is not a URL`;
  }
  if (url.origin !== origin)
    return `CODEC_SERVER_UI_ORIGINS: "${origin.slice(0, 100)}" must be an origin, scheme://host[:port] with no path or trailing slash (${url.origin})`;
  if (url.protocol !== 'https:' && !isLoopbackHost(url.hostname))
    return `CODEC_SERVER_UI_ORIGINS: "${origin}" must use https (http only for loopback)`;
  return undefined;
}

export const codecServerSection = z
  .object({
    CODEC_SERVER_PORT: wholeNumber(0, 65_535).prefault(String(DEFAULT_CODEC_SERVER_PORT)),
    CODEC_SERVER_HOST: bindHost.prefault('0.0.0.0'),
    CODEC_SERVER_UI_ORIGINS: required("the Web UI's origin, e.g. https://temporal-ui.example.com")
      .pipe(list)
      .pipe(
        z.array(z.string()).min(1, {
          error: 'must name at least one origin (the Web UI\'s, e.g. "https://temporal-ui.example.com")',
        }),
      ),
    CODEC_SERVER_TOKENS: required('callers present one: openssl rand -hex 32')
      .pipe(list)
      .pipe(z.array(signingSecret).min(1, { error: 'must give at least one token (openssl rand -hex 32)' })),
    CODEC_SERVER_SESSION_TTL: duration({ min: 60_000, max: 7 * 24 * 3_600_000 }).prefault('8h'),
    TEMPORAL_NAMESPACE: text.prefault('default'),
  })
  .superRefine(
    problems((env) => env.CODEC_SERVER_UI_ORIGINS.map(originProblem).filter((p) => p !== undefined)),
    needs('CODEC_SERVER_UI_ORIGINS'),
  )
  .transform((env) => ({
    port: env.CODEC_SERVER_PORT,
    host: env.CODEC_SERVER_HOST,
    uiOrigins: env.CODEC_SERVER_UI_ORIGINS,
    /** Current token first; the others stay valid during a rotation. Secrets, never logged. */
    tokens: env.CODEC_SERVER_TOKENS,
    sessionTtlMs: env.CODEC_SERVER_SESSION_TTL,
    namespace: env.TEMPORAL_NAMESPACE,
  }));

export type CodecServerSettings = z.output<typeof codecServerSection>;

export interface CodecServerConfig extends CodecServerSettings {
  codecKeys: readonly CodecKey[];
}

/** `npm run codec-server`. Without keys there is nothing to decode: that is a configuration error. */
export function loadCodecServerConfig(env: Env = process.env): CodecServerConfig {
  const keysRequired = payloadCodecSection.superRefine(
    problems((keys) =>
      keys === null
        ? 'PAYLOAD_CODEC_KEYS or PAYLOAD_CODEC_KEYS_FILE is required (the keys the worker encrypts with)'
        : undefined,
    ),
  );
  const { server, codecKeys } = loadSections({ server: codecServerSection, codecKeys: keysRequired }, env);
  return { ...server, codecKeys: codecKeys ?? [] };
}
