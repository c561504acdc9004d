/** Runs the listener on a real socket, in-process (dev stack, tests) or from main.ts. */
import type { AddressInfo } from 'node:net';
import { buildListenerApp, type ListenerDeps } from './app.js';

export interface ListenOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
}

export interface RunningListener {
  /** e.g. `http://127.0.0.1:8788`; notification URLs live under `${url}/notifications`. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function urlHost(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; that is what local clients should use.
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
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
    url: `http://${urlHost(address)}:${address.port}`,
    port: address.port,
    close: () => app.close(),
  };
}
