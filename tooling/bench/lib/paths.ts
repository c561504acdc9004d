/**
 * Folders and entry points of the bench, as file paths (never `URL.pathname`, which keeps `%20`
 * for a space and so breaks in a checkout whose path has one).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `relative` resolved against a module's file URL, as a file path: `%20` becomes a space again. */
export function pathFromModule(moduleUrl: string, relative: string): string {
  return fileURLToPath(new URL(relative, moduleUrl));
}

/** tooling/bench/results/: where the full runs write their figures by default. */
export const RESULTS_DIR = pathFromModule(import.meta.url, '../results/');
/**
 * .data/bench/ (gitignored): the raw per-job samples, logs and diagnostics of the full runs. Every
 * run rewrites megabytes of them, so only the summaries the docs cite live in RESULTS_DIR.
 */
export const RAW_DIR = pathFromModule(import.meta.url, '../../../.data/bench/');
/** tooling/bench/workflows/ (timerLoopJob, activityRetryJob). */
export const BENCH_WORKFLOWS_PATH = pathFromModule(import.meta.url, '../workflows/index.ts');
/** The bench worker process's entry point. */
export const WORKER_MAIN_PATH = pathFromModule(import.meta.url, './worker-main.ts');

/** Where a run writes: `--out`, else a new temp dir for `--quick` (CI leaves the checkout alone), else RESULTS_DIR. */
export function outputDir(out: string | undefined, quick: boolean, tempPrefix: string): string {
  return out ?? (quick ? mkdtempSync(join(tmpdir(), tempPrefix)) : RESULTS_DIR);
}

/** Where a run's raw data goes: RAW_DIR for a run that writes to RESULTS_DIR, else next to its summaries. */
export function rawOutputDir(outDir: string): string {
  const raw = resolve(outDir) === resolve(RESULTS_DIR) ? RAW_DIR : outDir;
  mkdirSync(raw, { recursive: true });
  return raw;
}
