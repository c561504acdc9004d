/**
 * What `npm run job -- start --wait` shows while it follows a job. On a terminal: one live
 * line rewritten in place (`\r` + clear line) with the state, a batch bar, the elapsed time
 * and the next check, plus a permanent line whenever the state changes. Elsewhere (a pipe,
 * a log file, CI): one plain line per change, nothing rewritten.
 */
import { formatDuration, isTerminalState, totalBatches, type JobStatus } from '../contract/index.js';
import { describeStatusLine, type ProgressTarget } from './output.js';

/** Carriage return + "erase the whole line" (ANSI EL2): the cursor stays on the same line. */
export const CLEAR_LINE = '\r\x1b[2K';

export interface ProgressDisplay {
  /** Every status read (changed or not). */
  status(status: JobStatus): void;
  /** The job's id, state, counts or last error changed. */
  change(status: JobStatus): void;
  /** Erase the live line; the caller prints the outcome in its place. */
  finish(): void;
}

/** Elapsed time as a clock counts it: whole seconds, never ahead (`65_999` → `1m05s`). */
export function formatElapsed(ms: number): string {
  return formatDuration(Math.floor(Math.max(0, ms) / 1_000) * 1_000);
}

export function batchBar(completed: number, total: number, width = 12): string {
  const filled = total > 0 ? Math.min(width, Math.round((completed / total) * width)) : 0;
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

function nextCheckText(status: JobStatus, now: number): string {
  if (isTerminalState(status.state)) return 'finished';
  if (!status.nextCheckAt) return status.jobId ? 'checking now' : 'creating the job';
  const inMs = Date.parse(status.nextCheckAt) - now;
  if (inMs <= 0) return 'checking now';
  const next = formatElapsed(inMs + 999);
  // Notification-first: TDG's notification is what the job waits for; the timer is only a safety net.
  return status.notificationsRequested
    ? `waiting for TDG's notification, safety-net check in ${next}`
    : `next check in ${next}`;
}

/** The live line, e.g. `IN_PROGRESS  3/7 batches [#####-------]  elapsed 1m05s  next check in 12s  job 7ed69f4c06591ff`. */
export function progressLine(status: JobStatus | null, elapsedMs: number, now: number): string {
  if (!status) return `waiting for a worker…  elapsed ${formatElapsed(elapsedMs)}`;
  const counts = status.counts;
  const batches = counts
    ? `${counts.completed}/${totalBatches(counts)} batches ${batchBar(counts.completed, totalBatches(counts))}`
    : 'batches: not known yet';
  const parts = [
    status.state,
    batches,
    `elapsed ${formatElapsed(elapsedMs)}`,
    nextCheckText(status, now),
    status.jobId ? `job ${status.jobId}` : '',
    status.lastError ? `last error: ${status.lastError}` : '',
  ];
  return parts.filter(Boolean).join('  ');
}

export function fitToWidth(line: string, columns: number | undefined): string {
  // A pseudo-terminal may report 0 columns: then assume a common width.
  const width = Math.max(20, (columns && columns > 0 ? columns : 100) - 1);
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

const clock = (now: number): string => new Date(now).toISOString().slice(11, 19);

export interface ProgressOptions {
  /** When the job started (the workflow's start time): elapsed counts from here. */
  startedAt: number;
  now?: () => number;
  /** How often the live line redraws without news (elapsed, countdown). */
  tickMs?: number;
}

/** Line per change: for pipes, files and CI logs. */
export function plainProgress(target: ProgressTarget, options: ProgressOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  return {
    status: () => undefined,
    change: (status) => {
      target.write(`${clock(now())} ${status.jobId ?? '-'} ${describeStatusLine(status)}\n`);
    },
    finish: () => undefined,
  };
}

/** A live line on a terminal, redrawn in place; state changes stay on screen above it. */
export function ttyProgress(target: ProgressTarget, options: ProgressOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  let latest: JobStatus | null = null;
  let lastState: string | null = null;
  let finished = false;
  const draw = (): void => {
    if (finished) return;
    const t = now();
    target.write(CLEAR_LINE + fitToWidth(progressLine(latest, t - options.startedAt, t), target.columns));
  };
  const timer = setInterval(draw, options.tickMs ?? 1_000);
  timer.unref();
  draw();
  return {
    status: (status) => {
      latest = status;
      draw();
    },
    change: (status) => {
      latest = status;
      if (status.state !== lastState) {
        lastState = status.state;
        // Whole, not fitted to the width: it stays on screen, so the terminal may wrap it (only
        // the live line, rewritten in place with \r, must fit on one row).
        const line = `${clock(now())} ${status.jobId ?? '-'} ${describeStatusLine(status)}`;
        target.write(`${CLEAR_LINE}${line}\n`);
      }
      draw();
    },
    finish: () => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      // The state lines above tell the story; the caller prints the outcome where the live line was.
      target.write(CLEAR_LINE);
    },
  };
}

export function createProgress(target: ProgressTarget, options: ProgressOptions): ProgressDisplay {
  return target.isTTY ? ttyProgress(target, options) : plainProgress(target, options);
}
