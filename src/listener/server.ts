/** Runs the listener on a real socket, in-process (dev stack, tests) or from main.ts. */
import type { AddressInfo } from 'node:net';
import { localUrl, type ListenOptions } from '../platform/url-host.js';
import { buildListenerApp, type ListenerDeps } from './app.js';

export type { ListenOptions };

export interface RunningListener {
  /** e.g. `http://127.0.0.1:8788`; notification URLs live under `${url}/notifications`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startListener(deps: ListenerDeps, listen: ListenOptions): Promise<RunningListener> {
  const app = buildListenerApp(deps);
  try {
    await app.listen({ port: listen.port, host: listen.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  return {
    url: localUrl(address),
    port: address.port,
    close: () => app.close(),
  };
}
