/** workflows/details.ts: the current details the Web UI shows for a running job (markdown). */
import { describe, expect, it } from 'vitest';
import { renderDetails, formatUtc, describeBatches } from '../workflows/details.js';
import { escapeMarkdown } from '../src/contract/index.js';
import { counts, jobStatus as status } from './helpers/job-status.js';

describe('current details (Web UI markdown)', () => {
  it('shows state, job id, batches by state, checks, notifications, next check and last error', () => {
    expect(renderDetails(status())).toBe(
      [
        '**IN_PROGRESS** · TDG job `7ed69f4c06591ff`',
        '',
        '- **batches:** 3 of 7 completed · 3 in progress · 1 queued',
        '- **checks:** 10 · **notifications:** 2, last 2026-11-28 13:10:02 UTC',
        '- **next check:** 2026-11-28 13:12:14 UTC',
        '- **last error:** none',
      ].join('\n'),
    );
  });

  it('says what is not known yet while the job is being created', () => {
    const text = renderDetails(
      status({ jobId: null, state: 'CREATING', counts: null, checks: 0, nextCheckAt: null }),
    );
    expect(text).toContain('**CREATING** · TDG job (being created)');
    expect(text).toContain('- **batches:** not known yet');
    expect(text).toContain('- **next check:** after the job is created');
  });

  it('marks a finished job, polling-only jobs and continued runs', () => {
    const done = renderDetails(
      status({
        state: 'FAILED',
        counts: { ...counts, queued: 0, inProgress: 0, completed: 5, failed: 2 },
        notificationsRequested: false,
        notifications: 0,
        runs: 3,
      }),
    );
    expect(done).toContain('**FAILED**');
    expect(done).toContain('5 of 7 completed · 2 failed');
    expect(done).toContain('**notifications:** 0 (not requested: polling only)');
    expect(done).toContain('- **next check:** none: the job is finished');
    expect(done).toContain('- **run:** 3 (continued as new)');
    expect(renderDetails(status({ nextCheckAt: null }))).toContain('- **next check:** checking now');
  });

  it('escapes what comes from outside and bounds the last error', () => {
    const text = renderDetails(
      status({ lastError: `TdgUnavailable: <script>*bold* [x](y) ${'z'.repeat(400)}\n# heading` }),
    );
    expect(text).toContain('\\<script\\>\\*bold\\* \\[x\\](y)');
    expect(text).not.toContain('\n# heading');
    expect(text.split('\n').at(-1)!.length).toBeLessThan(360);
    expect(text).toContain('…');
    expect(escapeMarkdown('IN_PROGRESS _x_')).toBe('IN_PROGRESS \\_x\\_');
  });

  it('formats times and batch counts', () => {
    expect(formatUtc('2026-11-28T13:12:14.986Z')).toBe('2026-11-28 13:12:14 UTC');
    expect(formatUtc('not a time')).toBe('not a time');
    expect(describeBatches({ ...counts, waitingForUpload: 2, malformed: 1 })).toBe(
      '3 of 10 completed · 3 in progress · 1 queued · 2 waiting for upload · 1 malformed',
    );
  });
});
