/**
 * Folders and entry points of the bench, as file paths (never `URL.pathname`, which keeps `%20`
 * for a space and so breaks in a checkout whose path has one).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results/: where the full runs write their figures by default. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
/** bench/workflows/ (timerLoopJob, activityRetryJob). */
export const BENCH_WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
/** The bench worker process's entry point. */
export const WORKER_MAIN_PATH = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

/** Where a run writes: `--out`, else a new temp dir for `--quick` (CI leaves the checkout alone), else RESULTS_DIR. */
export function outputDir(out: string | undefined, quick: boolean, tempPrefix: string): string {
  return out ?? (quick ? mkdtempSync(join(tmpdir(), tempPrefix)) : RESULTS_DIR);
}
