/** Runs the simulator on a real socket, in-process (dev stack, tests, benchmarks) or from main.ts. */
import type { AddressInfo } from 'node:net';
import { localUrl, type ListenOptions } from '../../src/platform/url-host.js';
import { buildSimulator, type Simulator, type SimulatorOptions } from './app.js';

export type { ListenOptions };

export interface RunningSimulator {
  /** Base URL without the version, e.g. `http://127.0.0.1:8787` (use it as TDG_BASE_URL). */
  url: string;
  port: number;
  simulator: Simulator;
  close(): Promise<void>;
}

export async function startSimulator(
  opts: SimulatorOptions,
  listen: ListenOptions,
): Promise<RunningSimulator> {
  const simulator = buildSimulator(opts);
  try {
    await simulator.app.listen({ port: listen.port, host: listen.host });
  } catch (error) {
    await simulator.close();
    throw error;
  }
  const address = simulator.app.server.address() as AddressInfo;
  return {
    url: localUrl(address),
    port: address.port,
    simulator,
    close: () => simulator.close(),
  };
}
