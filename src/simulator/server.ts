/** Runs the simulator on a real socket, in-process (dev stack, tests, benchmarks) or from main.ts. */
import type { AddressInfo } from 'node:net';
import { buildSimulator, type Simulator, type SimulatorOptions } from './app.js';

export interface ListenOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
}

export interface RunningSimulator {
  /** Base URL without the version, e.g. `http://127.0.0.1:8787` (use it as TDG_BASE_URL). */
  url: string;
  port: number;
  simulator: Simulator;
  close(): Promise<void>;
}

function urlHost(address: AddressInfo): string {
  // A wildcard bind is reachable on loopback; that is what local clients should use.
  if (address.address === '0.0.0.0') return '127.0.0.1';
  if (address.address === '::') return '[::1]';
  return address.family === 'IPv6' ? `[${address.address}]` : address.address;
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
    url: `http://${urlHost(address)}:${address.port}`,
    port: address.port,
    simulator,
    close: () => simulator.close(),
  };
}
