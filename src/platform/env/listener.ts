/** The webhook listener's own settings (`LISTENER_*`). */
import { section } from './core.js';
import { boolean, text, wholeNumber } from './fields.js';

export const DEFAULT_LISTENER_PORT = 8788;
export const DEFAULT_LISTENER_HOST = '0.0.0.0';

export const listenerSection = section(
  {
    LISTENER_PORT: wholeNumber(0, 65_535, DEFAULT_LISTENER_PORT),
    LISTENER_HOST: text(DEFAULT_LISTENER_HOST),
    LISTENER_FORWARD_RUNNING_HINTS: boolean(),
  },
  (env) => ({
    port: env.LISTENER_PORT,
    host: env.LISTENER_HOST,
    forwardRunningHints: env.LISTENER_FORWARD_RUNNING_HINTS ?? false,
  }),
);
