/** The workflow bundles, built once per run and loaded by every worker process from a file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundleWorkflows } from '../../../src/worker/factory.js';
import { BENCH_WORKFLOWS_PATH } from './paths.js';

export interface Bundles {
  /** workflows/ (emailAppendJob). */
  ours: string;
  /** tooling/bench/workflows/ (timerLoopJob, activityRetryJob). */
  bench: string;
  dir: string;
  remove(): void;
}

const quietBundler = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  log: () => undefined,
  warn: () => undefined,
  error: (message: string) => console.error(message),
};

export async function buildBundles(which: { ours?: boolean; bench?: boolean } = {}): Promise<Bundles> {
  const dir = mkdtempSync(join(tmpdir(), 'tdg-bench-bundles-'));
  const ours = join(dir, 'ours.js');
  const bench = join(dir, 'bench.js');
  if (which.ours !== false) writeFileSync(ours, (await bundleWorkflows()).code);
  if (which.bench !== false) {
    const { code } = await bundleWorkflowCode({ workflowsPath: BENCH_WORKFLOWS_PATH, logger: quietBundler });
    writeFileSync(bench, code);
  }
  return { ours, bench, dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
