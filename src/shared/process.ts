/** Plumbing shared by the project's long-running processes (simulator, listener). */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ProcessLogger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

export const quietLogger: ProcessLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** One line per event, for a process's console. */
export function consoleLogger(prefix: string): ProcessLogger {
  const line = (msg: string, meta?: object): string =>
    `${new Date().toISOString()} [${prefix}] ${msg}${meta === undefined ? '' : ` ${JSON.stringify(meta)}`}`;
  return {
    info: (msg, meta) => console.log(line(msg, meta)),
    warn: (msg, meta) => console.warn(line(msg, meta)),
    error: (msg, meta) => console.error(line(msg, meta)),
  };
}

/** One line for a user: the message and an errno code, never a stack. */
export function errorLine(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? error.message : `${error.message} (${code})`;
  }
  return String(error);
}

/** True when the module at `moduleUrl` is the script node was started with (not merely imported). */
export function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** SIGINT/SIGTERM run `shutdown` once and exit 0 (1 if it fails); a second signal exits at once. */
export function exitOnSignals(logger: ProcessLogger, shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting at once`);
      process.exit(130);
    }
    stopping = true;
    logger.info(`${signal}: shutting down`);
    shutdown().then(
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
