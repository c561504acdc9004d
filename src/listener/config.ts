/** The listener's environment: `LISTENER_*`, the notification secrets and `TEMPORAL_*`. */
import { z } from 'zod';
import { payloadCodecSection } from '../platform/env/codec.js';
import { notifySecretsSection } from '../platform/env/notify.js';
import { flag, loadSections, text, wholeNumber, type Env } from '../platform/env/schema.js';
import { temporalSection, type TemporalSection } from '../platform/env/temporal.js';

export const listenerSection = z
  .object({
    LISTENER_PORT: wholeNumber(0, 65_535).prefault('8788'),
    LISTENER_HOST: text.prefault('0.0.0.0'),
    LISTENER_FORWARD_RUNNING_HINTS: flag.prefault('false'),
  })
  .transform((env) => ({
    port: env.LISTENER_PORT,
    host: env.LISTENER_HOST,
    /** Signal hints naming a running state too (see ListenerDeps.forwardRunningHints). */
    forwardRunningHints: env.LISTENER_FORWARD_RUNNING_HINTS,
  }));

export interface ListenerConfig extends TemporalSection, z.output<typeof listenerSection> {
  /** Current secret first, then the previous one during a rotation. */
  secrets: string[];
}

/** `npm run listener`. */
export function loadListenerConfig(env: Env = process.env): ListenerConfig {
  const { listener, secrets, temporal, codecKeys } = loadSections(
    {
      listener: listenerSection,
      secrets: notifySecretsSection,
      temporal: temporalSection,
      codecKeys: payloadCodecSection,
    },
    env,
  );
  return { ...listener, secrets, ...temporal, codecKeys };
}
