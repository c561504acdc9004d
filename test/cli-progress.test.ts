/** src/cli/progress.ts: the starter's progress while it waits, on a terminal and elsewhere. */
import { describe, expect, it } from 'vitest';
import {
  CLEAR_LINE,
  batchBar,
  fitToWidth,
  formatElapsed,
  plainProgress,
  progressLine,
  ttyProgress,
} from '../src/cli/progress.js';
import type { JobStatus } from '../src/contract/definitions.js';
import { jobStatus as status } from './helpers/job-status.js';

describe('starter progress', () => {
  it('formats elapsed time, a batch bar and a bounded line', () => {
    expect(formatElapsed(5_400)).toBe('5s');
    expect(formatElapsed(65_000)).toBe('1m05s');
    expect(formatElapsed(3_725_000)).toBe('1h02m05s');
    expect(batchBar(3, 6, 6)).toBe('[###---]');
    expect(batchBar(0, 0, 4)).toBe('[----]');
    expect(fitToWidth('x'.repeat(200), 50)).toHaveLength(49);
    expect(fitToWidth('short', 0)).toBe('short');
  });

  it('the live line carries state, batches, elapsed, next check and job id', () => {
    const now = Date.parse('2026-11-28T13:12:02.000Z');
    expect(progressLine(status(), 65_000, now)).toBe(
      "IN_PROGRESS  3/7 batches [#####-------]  elapsed 1m05s  waiting for TDG's notification, safety-net check in 13s  job 7ed69f4c06591ff",
    );
    expect(progressLine(status({ state: 'COMPLETED' }), 1_000, now)).toContain('finished');
    expect(progressLine(null, 2_000, now)).toBe('waiting for a worker…  elapsed 2s');
  });

  it('on a terminal rewrites one line in place and keeps state changes above it', () => {
    const written: string[] = [];
    let clock = Date.parse('2026-11-28T13:12:00.000Z');
    const progress = ttyProgress(
      { isTTY: true, columns: 120, write: (t) => written.push(t) },
      { startedAt: clock - 10_000, now: () => clock, tickMs: 60_000 },
    );
    progress.change(status({ state: 'QUEUED' }));
    clock += 1_000;
    progress.status(status({ state: 'QUEUED' }));
    progress.change(status());
    progress.finish();
    progress.finish();
    const out = written.join('');
    expect(written.every((chunk) => chunk.startsWith(CLEAR_LINE))).toBe(true);
    expect(out).toContain(`${CLEAR_LINE}13:12:00 7ed69f4c06591ff QUEUED — 3/7`);
    expect(out).toContain(`${CLEAR_LINE}13:12:01 7ed69f4c06591ff IN_PROGRESS — 3/7`);
    expect(out).toContain(`${CLEAR_LINE}IN_PROGRESS  3/7 batches [#####-------]  elapsed 11s`);
    // Two state lines stay on screen; the live line is erased at the end for the outcome.
    expect(out.split('\n')).toHaveLength(3);
    expect(out.endsWith(CLEAR_LINE)).toBe(true);
  });

  // Once the state lines were cut at the terminal's width like the live line, e.g. at 80 columns
  // "… (checks 10, notifi…": they stay on screen, so the terminal wraps them instead.
  it('on a narrow terminal: only the live line fits the width, a state line is kept whole', () => {
    const written: string[] = [];
    const progress = ttyProgress(
      { isTTY: true, columns: 60, write: (t) => written.push(t) },
      { startedAt: 0, now: () => Date.parse('2026-11-28T13:12:00.000Z'), tickMs: 60_000 },
    );
    progress.change(status({ lastError: 'TDG answered 503 Service Unavailable twice in a row' }));
    progress.finish();
    const permanent = written.filter((chunk) => chunk.endsWith('\n'));
    expect(permanent).toEqual([
      `${CLEAR_LINE}13:12:00 7ed69f4c06591ff IN_PROGRESS — 3/7 batches completed (checks 10, notifications 2); last error: TDG answered 503 Service Unavailable twice in a row\n`,
    ]);
    const live = written.filter((chunk) => !chunk.endsWith('\n') && chunk !== CLEAR_LINE);
    expect(live.length).toBeGreaterThan(0);
    for (const chunk of live) expect(chunk.length - CLEAR_LINE.length).toBeLessThanOrEqual(59);
  });

  it('elsewhere writes one plain line per change and nothing else', () => {
    const written: string[] = [];
    const progress = plainProgress(
      { isTTY: false, write: (t) => written.push(t) },
      { startedAt: 0, now: () => Date.parse('2026-11-28T13:12:00.000Z') },
    );
    progress.status(status());
    progress.change(status());
    progress.finish();
    expect(written).toEqual([
      '13:12:00 7ed69f4c06591ff IN_PROGRESS — 3/7 batches completed (checks 10, notifications 2)\n',
    ]);
  });

  // Defect: with notification-first waiting the live line said "next check in 10m" as if polling.
  it('the --wait live line says it waits for the notification', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const status = {
      workflowId: 'wf',
      jobId: '7ed69f4c06591ff',
      state: 'CREATED',
      counts: null,
      notificationsRequested: true,
      nextCheckAt: new Date(now + 600_000).toISOString(),
      lastError: null,
    } as unknown as JobStatus;
    expect(progressLine(status, 5_000, now)).toContain(
      "waiting for TDG's notification, safety-net check in 10m",
    );
    expect(progressLine({ ...status, notificationsRequested: false }, 5_000, now)).toContain(
      'next check in 10m',
    );
  });
});
