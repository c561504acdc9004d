import type { ProcessLogger } from '../platform/process.js';

/** The simulator only logs info and warnings; any process logger serves. */
export type SimulatorLogger = Pick<ProcessLogger, 'info' | 'warn'>;
export { quietLogger } from '../platform/process.js';

/** The URL without query or fragment: notification URLs carry a signature that logs must not spread. */
export function redactUrl(url: string): string {
  const cut = url.search(/[?#]/);
  return cut < 0 ? url : `${url.slice(0, cut)}?…`;
}
