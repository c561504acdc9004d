/** The listener's environment: read through the one configuration schema (src/platform/config.ts). */
export {
  DEFAULT_LISTENER_HOST,
  DEFAULT_LISTENER_PORT,
  loadListenerConfig,
  type ListenerConfig,
} from '../platform/config.js';
