/** Public surface of the TDG API simulator. */
export {
  buildSimulator,
  BODY_LIMIT_BYTES,
  DEFAULT_SCENARIO,
  DEFAULT_TOKEN_TTL_MS,
  SimulatorOptionsError,
  type Faults,
  type JobView,
  type NotificationView,
  type Simulator,
  type SimulatorLogger,
  type SimulatorOptions,
  type StatsView,
} from './app.js';
export { startSimulator, type ListenOptions, type RunningSimulator } from './server.js';
export { parseDuration, formatDuration, DurationFormatError } from '../shared/duration.js';
export { simulatorConfigFromEnv, SimulatorConfigError, type SimulatorProcessConfig } from './config.js';
export { DEFAULT_FAULTS, validateFaults, FaultsValidationError } from './faults.js';
export { parseScenario, ScenarioTagError, type Scenario, type Outcome } from './scenario.js';
