/**
 * The listener logs through fastify's own logger: a service logger from src/platform/log.ts, whose
 * request serializer replaces the URL's `sig` value (design §4: the signature must not spread).
 */
export type { ServiceLogger as ListenerLogger } from '../platform/log.js';
export { redactSignatures, silentLogger } from '../platform/log.js';
