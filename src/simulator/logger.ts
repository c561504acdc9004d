/**
 * The simulator logs through fastify's own logger: a service logger from src/platform/log.ts. The
 * notification URLs it calls carry a signature; `redactUrl` replaces it before a URL is logged.
 */
export type { ServiceLogger as SimulatorLogger } from '../platform/log.js';
export { redactUrl, silentLogger } from '../platform/log.js';
