/** Plumbing shared by the project's long-running processes (simulator, listener). */
import { ConfigError } from './env/config-error.js';

const EXIT_BAD_CONFIG = 2;
const EXIT_CANNOT_START = 1;

/**
 * What `exitOnSignals` logs through: a service's pino logger (src/platform/log.ts) satisfies it,
 * fields first as in pino.
 */
export interface SignalLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** One line for a user: the message and an errno code, never a stack. */
export function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${error.message} (${code})`;
  }
  return String(error);
}

/** A service's configuration; a ConfigError exits 2 with its message on stderr (no logger exists yet). */
export function configOrExit<T>(name: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`${name}: ${error.message}`);
    process.exit(EXIT_BAD_CONFIG);
  }
}

/** A service's server, listening; if it cannot listen the process exits 1 with one line on stderr. */
export async function listenOrExit<T>(
  name: string,
  at: { host: string; port: number },
  listen: () => Promise<T>,
): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    console.error(`${name}: cannot listen on ${at.host}:${at.port}: ${errorLine(error)}`);
    process.exit(EXIT_CANNOT_START);
  }
}

/**
 * Runs a process's `main` from its entry point (src/bin/): the exit code it returns, or 1 with one
 * line on stderr for an error it did not handle (never a stack: user mistakes are handled inside).
 */
export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => {
      if (typeof code === 'number') process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${name}: ${errorLine(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/** SIGINT/SIGTERM run `shutdown` once and exit 0 (1 if it fails); a second signal exits at once. */
export function exitOnSignals(logger: SignalLogger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutdown().then(
      () => {
        logger.info({}, 'stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.warn({ error: errorLine(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
