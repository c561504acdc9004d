/**
 * Webhook notifications: the worker signs `NOTIFY_PUBLIC_URL` links with `NOTIFY_SECRET`; the
 * listener checks them with the same secret (and `NOTIFY_SECRET_PREVIOUS` during a rotation).
 * Secrets are checked for length only and never echoed.
 */
import { isLoopbackHost } from '../url-host.js';
import { section } from './core.js';
import { httpUrl, signingSecret } from './fields.js';

export interface NotifyConfig {
  publicUrl: string;
  secret: string;
}

/** The worker's side: both variables or neither (polling only). */
export const notifySection = section(
  { NOTIFY_PUBLIC_URL: httpUrl(), NOTIFY_SECRET: signingSecret() },
  (env, problems): NotifyConfig | null => {
    const url = env.NOTIFY_PUBLIC_URL;
    const secret = env.NOTIFY_SECRET;
    if (url === undefined && secret === undefined) return null;
    if (url === undefined || secret === undefined) {
      problems.push('NOTIFY_PUBLIC_URL and NOTIFY_SECRET must be set together (or neither: polling only)');
      return null;
    }
    if (url !== '') {
      const parsed = new URL(url);
      if (parsed.protocol !== 'https:' && !isLoopbackHost(parsed.hostname)) {
        problems.push(`NOTIFY_PUBLIC_URL must use https (http only for loopback), got "${url}"`);
      }
      if (parsed.search || parsed.hash) problems.push('NOTIFY_PUBLIC_URL must not carry a query or fragment');
    }
    return { publicUrl: url, secret };
  },
);

/** The listener's side: the current secret first, then the previous one during a rotation. */
export const notifySecretsSection = section(
  {
    NOTIFY_SECRET: signingSecret({ required: 'the secret the worker signs notification URLs with' }),
    NOTIFY_SECRET_PREVIOUS: signingSecret(),
  },
  (env): string[] => [env.NOTIFY_SECRET, env.NOTIFY_SECRET_PREVIOUS].filter((s) => s !== undefined),
);
