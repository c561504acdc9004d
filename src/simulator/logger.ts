export interface SimulatorLogger {
  info(msg: string, meta?: object): void;
  warn(msg: string, meta?: object): void;
}

/** Tests stay silent unless they inject a logger. */
export const quietLogger: SimulatorLogger = { info: () => {}, warn: () => {} };

/** One line per event on stdout/stderr, for the `npm run simulator` process. */
export function consoleLogger(prefix = 'simulator'): SimulatorLogger {
  const line = (msg: string, meta?: object): string =>
    `${new Date().toISOString()} [${prefix}] ${msg}${meta === undefined ? '' : ` ${JSON.stringify(meta)}`}`;
  return {
    info: (msg, meta) => console.log(line(msg, meta)),
    warn: (msg, meta) => console.warn(line(msg, meta)),
  };
}

/** The URL without query or fragment: notification URLs carry a signature that logs must not spread. */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : `${url.slice(0, cut)}?…`;
}
