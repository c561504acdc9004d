/**
 * Folders and entry points of the bench, as file paths (never `URL.pathname`, which keeps `%20`
 * for a space and so breaks in a checkout whose path has one).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `relative` resolved against a module's file URL, as a file path: `%20` becomes a space again. */
export function pathFromModule(moduleUrl: string, relative: string): string {
  return fileURLToPath(new URL(relative, moduleUrl));
}

/** tooling/bench/results/: where the full runs write their figures by default. */
export const RESULTS_DIR = pathFromModule(import.meta.url, '../results/');
/** tooling/bench/workflows/ (timerLoopJob, activityRetryJob). */
export const BENCH_WORKFLOWS_PATH = pathFromModule(import.meta.url, '../workflows/index.ts');
/** The bench worker process's entry point. */
export const WORKER_MAIN_PATH = pathFromModule(import.meta.url, './worker-main.ts');

/** Where a run writes: `--out`, else a new temp dir for `--quick` (CI leaves the checkout alone), else RESULTS_DIR. */
export function outputDir(out: string | undefined, quick: boolean, tempPrefix: string): string {
  return out ?? (quick ? mkdtempSync(join(tmpdir(), tempPrefix)) : RESULTS_DIR);
}
