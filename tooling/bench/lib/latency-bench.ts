/**
 * The setup the latency scripts share (`bench:job-id`, `bench:notify`): `[-- RUNS]` on the command
 * line, the dev stack, and one worker process with notifications on; the figures go to tooling/bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parseCommandLine } from './args.js';
import { buildBundles } from './bundles.js';
import { startBenchStack, type BenchStack } from './bench-stack.js';
import { RESULTS_DIR, rawOutputDir } from './paths.js';
import { spawnWorker, workerConfig } from './worker-process.js';

export interface LatencyBench {
  /** RUNS from the command line (default 20). */
  runs: number;
  stack: BenchStack;
  /** The worker's task queue, `bench-<name>`. */
  taskQueue: string;
  /** Stops the worker and the stack, removes the bundles. */
  close(): Promise<void>;
}

/** Parses `[-- RUNS]` (exits on `--help` or a mistake), then starts the stack and a ready worker. */
export async function startLatencyBench(usage: string, name: string): Promise<LatencyBench> {
  const runs = parseCommandLine({ usage, options: {}, maxPositionals: 1 }, ({ positionals }) =>
    numberFlag('RUNS', positionals[0], 20, { integer: true }),
  );
  const stack = await startBenchStack({ seed: 42 });
  const bundles = await buildBundles({ bench: false });
  const taskQueue = `bench-${name}`;
  const worker = spawnWorker(
    workerConfig(stack, taskQueue, bundles.ours, {
      notifications: true,
      maxTdgCallsPerSecond: 20,
      requestTimeoutMs: 5_000,
    }),
    join(tmpdir(), `tdg-bench-${name}-worker-${process.pid}.log`),
  );
  await worker.ready;
  return {
    runs,
    stack,
    taskQueue,
    close: async () => {
      await worker.stop();
      await stack.close();
      bundles.remove();
    },
  };
}

/**
 * Writes `summary` as tooling/bench/results/`file` (pretty JSON) and, given, the per-job `samples`
 * next to the other raw data (.data/bench/, gitignored): the docs cite the summary only.
 */
export function writeResults(file: string, summary: unknown, samples?: unknown): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, file), `${JSON.stringify(summary, null, 2)}\n`);
  if (samples !== undefined) {
    const raw = join(rawOutputDir(RESULTS_DIR), file.replace(/\.json$/, '.samples.json'));
    writeFileSync(raw, `${JSON.stringify(samples)}\n`);
  }
}
