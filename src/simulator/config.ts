/**
 * The `npm run simulator` process's configuration: its environment is read through the one
 * configuration schema (src/platform/config.ts, env/simulator.ts); here it becomes SimulatorOptions.
 */
import { loadSimulatorConfig, SIM_VARIABLE_NAMES, type Env } from '../platform/config.js';
import { DEFAULT_SCENARIO, type SimulatorOptions } from './app.js';

export { DEFAULT_SIMULATOR_HOST, DEFAULT_SIMULATOR_PORT, SimulatorConfigError } from '../platform/config.js';

export interface SimulatorProcessConfig {
  options: SimulatorOptions;
  port: number;
  host: string;
}

/** SIM_* names that this process does not read. */
export function unknownSimVariables(env: Env): string[] {
  return Object.keys(env).filter((name) => name.startsWith('SIM_') && !SIM_VARIABLE_NAMES.includes(name));
}

/** Throws SimulatorConfigError (one line, every problem). */
export function simulatorConfigFromEnv(env: Env): SimulatorProcessConfig {
  const { port, host, defaults, ...options } = loadSimulatorConfig(env);
  return { port, host, options: { ...options, defaults: { ...DEFAULT_SCENARIO, ...defaults } } };
}
