/**
 * `npm run simulator`: the TDG API simulator as a process (see config.ts for the environment).
 */
import { formatDuration } from '../contract/index.js';
import { createServiceLogger } from '../platform/log.js';
import { errorLine, exitOnSignals } from '../platform/process.js';
import { SimulatorConfigError, simulatorConfigFromEnv, unknownSimVariables } from './config.js';
import { startSimulator } from './server.js';

const EXIT_BAD_CONFIG = 2;
const EXIT_CANNOT_START = 1;

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = simulatorConfigFromEnv(env);
  } catch (error) {
    if (!(error instanceof SimulatorConfigError)) throw error;
    console.error(`simulator: ${error.message}`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const logger = createServiceLogger('simulator', { env });
  for (const name of unknownSimVariables(env)) logger.warn(`ignoring unknown variable ${name}`);

  let running;
  try {
    running = await startSimulator({ ...config.options, logger }, { port: config.port, host: config.host });
  } catch (error) {
    console.error(`simulator: cannot listen on ${config.host}:${config.port}: ${errorLine(error)}`);
    process.exit(EXIT_CANNOT_START);
  }
  const { options } = config;
  logger.info(
    {
      url: running.url,
      versions: options.versions,
      seed: running.simulator.seed,
      passwordAuth: options.username !== '',
      staticToken: (options.staticTokens ?? []).length > 0,
      defaults: { ...options.defaults, duration: formatDuration(options.defaults?.durationMs ?? 0) },
      settings: running.simulator.settings(),
      faults: running.simulator.faults(),
      control: `${running.url}/_sim/stats`,
    },
    `listening on ${running.url}`,
  );

  exitOnSignals(logger, () => running.close());
}
