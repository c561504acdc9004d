/** The machine a run happened on, recorded with its results (the machine is shared: load matters). */
import { cpus, loadavg, totalmem } from 'node:os';

export function machineDescription(): {
  nproc: number;
  memory: string;
  node: string;
  platform: string;
  loadAverage: number[];
} {
  return {
    nproc: cpus().length,
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadAverage: loadavg().map((n) => Math.round(n * 100) / 100),
  };
}
