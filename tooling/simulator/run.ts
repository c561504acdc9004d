/**
 * `npm run simulator`: the TDG API simulator as a process (see config.ts for the environment).
 */
import { formatDuration } from '../../src/contract/index.js';
import { createServiceLogger } from '../../src/platform/log.js';
import { configOrExit, exitOnSignals, listenOrExit } from '../../src/platform/process.js';
import { simulatorConfigFromEnv, unknownSimVariables } from './config.js';
import { startSimulator } from './server.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = configOrExit('simulator', () => simulatorConfigFromEnv(env));
  const logger = createServiceLogger('simulator', { env });
  for (const name of unknownSimVariables(env)) logger.warn(`ignoring unknown variable ${name}`);

  const running = await listenOrExit('simulator', config, () =>
    startSimulator({ ...config.options, logger }, { port: config.port, host: config.host }),
  );
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
