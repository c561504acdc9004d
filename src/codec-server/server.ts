/** Runs the codec server on a real socket, in-process (dev stack, tests) or from run.ts. */
import type { AddressInfo } from 'node:net';
import { localUrl, type ListenOptions } from '../platform/url-host.js';
import { buildCodecServerApp, type CodecServerDeps } from './app.js';

export interface RunningCodecServer {
  /** e.g. `http://127.0.0.1:8789`: the UI's and the CLI's codec endpoint. */
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startCodecServer(
  deps: CodecServerDeps,
  listen: ListenOptions,
): Promise<RunningCodecServer> {
  const app = buildCodecServerApp(deps);
  try {
    await app.listen({ port: listen.port, host: listen.host });
  } catch (error) {
    await app.close();
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  return { url: localUrl(address), port: address.port, close: () => app.close() };
}
