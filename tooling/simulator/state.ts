/** Everything the routes share; `POST /_sim/reset` swaps jobs and counters but keeps options, tokens and PRNG streams. */
import type { Faults } from './faults.js';
import type { NotificationFields } from './notifier.js';
import type { Settings } from './settings.js';
import type { HungRequests } from './hung.js';
import type { JobStore, SimJob } from './jobs.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Prng } from '../../src/platform/prng.js';
import type { ScenarioDefaults } from './scenario.js';
import type { SimulatorStats } from './stats.js';

export interface ResolvedOptions {
  apiKey: string;
  username: string;
  password: string;
  staticTokens: ReadonlySet<string>;
  restrictedApiKeys: ReadonlySet<string>;
  tokenTtlMs: number;
  tokenField: string;
  versions: readonly string[];
  seed: number;
  /** Without `notify`: that default is `settings.notificationMode`, switchable at run time. */
  defaults: Omit<ScenarioDefaults, 'notify'>;
  faults: Readonly<Faults>;
  settings: Readonly<Settings>;
  notificationFields: Readonly<NotificationFields>;
  now: () => number;
  /** The app's logger (the given one with the redacting serializers). */
  logger: FastifyBaseLogger;
}

export interface SimulatorState {
  readonly options: ResolvedOptions;
  jobs: JobStore;
  stats: SimulatorStats;
  faults: Faults;
  settings: Settings;
  /** Issued token -> expiry (clock ms). Survives resets so running clients keep working. */
  readonly tokens: Map<string, number>;
  /** Separate streams so that draws in one concern never shift another's sequence. */
  readonly prng: {
    readonly ids: Prng;
    readonly tokens: Prng;
    readonly faults: Prng;
    readonly notifications: Prng;
  };
  /** Requests held open by `hangRate`; released (socket dropped) by close() or after MAX_HANG_MS. */
  readonly hung: HungRequests;
  /** Called after each job is created, so notifications can watch it. */
  onJobCreated(job: SimJob): void;
  /** Called after each API response: state changes caused by a call are notified at once. */
  afterApiCall(): void;
}
