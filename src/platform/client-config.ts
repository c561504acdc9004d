/**
 * The configuration of processes that only talk to Temporal as clients (the typed client, the
 * starter CLI, `npm run setup`): the `TEMPORAL_*` section alone. Kept apart from config.ts so the
 * client package compiles without the worker's, listener's and simulator's sections.
 */
import { loadSections, type Env } from './env/core.js';
import { temporalSection, type TemporalSection } from './env/temporal.js';

export { ConfigError, type Env } from './env/core.js';
export type { TemporalSection } from './env/temporal.js';

/** `TEMPORAL_*` from the environment (and envconfig's profile): one ConfigError listing every problem. */
export function loadClientConfig(env: Env = process.env): TemporalSection {
  return loadSections({ temporal: temporalSection }, env).temporal;
}
