/**
 * `npm run simulator`: the TDG API simulator as a process (see config.ts for the environment).
 * Also re-exports startSimulator so other processes can run it in-process.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '../shared/duration.js';
import { consoleLogger } from './logger.js';
import { SimulatorConfigError, simulatorConfigFromEnv, unknownSimVariables } from './config.js';
import { startSimulator } from './server.js';

export { startSimulator, type ListenOptions, type RunningSimulator } from './server.js';
export { parseDuration } from '../shared/duration.js';

const EXIT_BAD_CONFIG = 2;
const EXIT_CANNOT_START = 1;

function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${error.message} (${code})`;
  }
  return String(error);
}

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config;
  try {
    config = simulatorConfigFromEnv(env);
  } catch (error) {
    if (!(error instanceof SimulatorConfigError)) throw error;
    console.error(`simulator: ${error.message}`);
    process.exit(EXIT_BAD_CONFIG);
  }
  const logger = consoleLogger();
  for (const name of unknownSimVariables(env)) logger.warn(`ignoring unknown variable ${name}`);

  let running;
  try {
    running = await startSimulator({ ...config.options, logger }, { port: config.port, host: config.host });
  } catch (error) {
    console.error(`simulator: cannot listen on ${config.host}:${config.port}: ${errorLine(error)}`);
    process.exit(EXIT_CANNOT_START);
  }
  const { options } = config;
  logger.info(`listening on ${running.url}`, {
    versions: options.versions,
    seed: running.simulator.seed,
    passwordAuth: options.username !== '',
    staticToken: (options.staticTokens ?? []).length > 0,
    defaults: { ...options.defaults, duration: formatDuration(options.defaults?.durationMs ?? 0) },
    faults: running.simulator.faults(),
    control: `${running.url}/_sim/stats`,
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting at once`);
      process.exit(130);
    }
    stopping = true;
    logger.info(`${signal}: shutting down`);
    running.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.warn(`shutdown failed: ${errorLine(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error: unknown) => {
    console.error(`simulator: ${errorLine(error)}`);
    process.exit(1);
  });
}
