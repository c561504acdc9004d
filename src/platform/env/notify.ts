/**
 * Notifications: the worker signs `NOTIFY_PUBLIC_URL` links with `NOTIFY_SECRET`; the
 * listener checks them with the same secret (and `NOTIFY_SECRET_PREVIOUS` during a rotation).
 * Secrets are checked for length only and never echoed.
 */
import { z } from 'zod';
import { isLoopbackHost } from '../url-host.js';
import { httpUrl, needs, problems, signingSecret } from './schema.js';

export interface NotifyConfig {
  publicUrl: string;
  secret: string;
}

/** The worker's side: both variables or neither (polling only). */
export const notifySection = z
  .object({ NOTIFY_PUBLIC_URL: httpUrl.optional(), NOTIFY_SECRET: signingSecret.optional() })
  .superRefine(
    problems((env) =>
      (env.NOTIFY_PUBLIC_URL === undefined) !== (env.NOTIFY_SECRET === undefined)
        ? 'NOTIFY_PUBLIC_URL and NOTIFY_SECRET must be set together (or neither: polling only)'
        : undefined,
    ),
    needs(),
  )
  .superRefine(
    problems(({ NOTIFY_PUBLIC_URL: url }) => {
      if (url === undefined) return undefined;
      const parsed = new URL(url);
      return [
        ...(parsed.protocol !== 'https:' && !isLoopbackHost(parsed.hostname)
          ? [`NOTIFY_PUBLIC_URL must use https (http only for loopback), got "${url}"`]
          : []),
        ...(parsed.search || parsed.hash ? ['NOTIFY_PUBLIC_URL must not carry a query or fragment'] : []),
      ];
    }),
    needs('NOTIFY_PUBLIC_URL'),
  )
  .transform(({ NOTIFY_PUBLIC_URL: publicUrl, NOTIFY_SECRET: secret }): NotifyConfig | null =>
    publicUrl === undefined || secret === undefined ? null : { publicUrl, secret },
  );

/** The listener's side: the current secret first, then the previous one during a rotation. */
export const notifySecretsSection = z
  .object({
    NOTIFY_SECRET: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'is required (the secret the worker signs notification URLs with)'
            : undefined,
      })
      .pipe(signingSecret),
    NOTIFY_SECRET_PREVIOUS: signingSecret.optional(),
  })
  .transform((env): string[] =>
    [env.NOTIFY_SECRET, env.NOTIFY_SECRET_PREVIOUS].filter((s) => s !== undefined),
  );
