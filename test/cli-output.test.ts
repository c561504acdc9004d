/** src/cli/output.ts: exit codes (and the README's table of them), the list table, the setup hint. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServiceError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { JobErrorType, TdgJobError, TdgJobs } from '../src/client/index.js';
import { UsageError } from '../src/cli/args.js';
import {
  ExitCode,
  exitCodeFor,
  exitCodeForType,
  formatJobTable,
  outcomeOf,
  printOutcome,
  searchAttributeHint,
} from '../src/cli/output.js';
import type { EmailAppendJobResult } from '../src/contract/index.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';

describe('error types and exit codes follow one table', () => {
  it('maps every type onto the README table', () => {
    const code = (type: string): number => exitCodeFor(new TdgJobError(type as never, 'm', null));
    expect(code(JobErrorType.InvalidConfig)).toBe(2);
    expect(code(JobErrorType.InvalidJobRequest)).toBe(2);
    expect(code(JobErrorType.CheckRefused)).toBe(3);
    expect(code(JobErrorType.CancelRefused)).toBe(3);
    expect(code(JobErrorType.WorkflowClosed)).toBe(3);
    expect(code(JobErrorType.WorkflowIdInUse)).toBe(3);
    expect(code(JobErrorType.WorkflowNotFound)).toBe(4);
    expect(code(JobErrorType.TemporalUnavailable)).toBe(5);
    expect(code(JobErrorType.Unexpected)).toBe(6);
    expect(code(JobErrorType.NamespaceNotFound)).toBe(7);
    expect(code(JobErrorType.SetupRequired)).toBe(7);
    expect(code(JobErrorType.WorkerUnavailable)).toBe(8);
    expect(exitCodeFor(new UsageError('x'))).toBe(ExitCode.usage);
  });

  it("the README's exit-code table is the one the CLI applies", async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| (\d) +\|[^|]*\|([^|]*)\|$/gm)];
    expect(rows.map((row) => row[1])).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8']);
    for (const [, exit, types] of rows)
      for (const [, type] of types!.matchAll(/`(\w+)`/g))
        expect([type, type === 'UsageError' ? ExitCode.usage : exitCodeForType(type!)]).toEqual([
          type,
          Number(exit),
        ]);
  });

  it('exit 5 means Temporal did not answer; anything unexpected is 6, a missing workflow 4', () => {
    const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), {
      code: 14,
      details: '',
      metadata: {},
    });
    // The client turns whatever Temporal threw into a typed error; the exit code follows its type.
    const codeFor = (err: unknown): number =>
      exitCodeFor(new TdgJobs({} as Client, { taskQueue: 'q' }).toJobError(err, 'wf-1'));
    expect(codeFor(new ServiceError('query failed', { cause: unavailable }))).toBe(ExitCode.unreachable);
    expect(codeFor(new TypeError("Cannot read properties of undefined (reading 'state')"))).toBe(
      ExitCode.unexpected,
    );
    expect(codeFor(new ServiceError('permission denied'))).toBe(ExitCode.unexpected);
    expect(codeFor(new WorkflowNotFoundError('gone', 'wf-1', undefined))).toBe(ExitCode.notFound);
    expect(exitCodeFor(new TypeError('a bug in the starter itself'))).toBe(ExitCode.unexpected);
  });
});

describe('what the starter prints', () => {
  it('list prints aligned columns with a header', () => {
    const lines = formatJobTable([
      {
        workflowId: 'wf-a',
        status: 'RUNNING',
        startTime: '2026-11-28T13:00:00.000Z',
        jobId: '7ed69f4c06591ff',
        state: 'IN_PROGRESS',
        name: 'Nightly',
        version: 'tdg-email-append:wf-0bbf8fff76ab (Pinned)',
      },
      {
        workflowId: 'wf-b',
        status: 'COMPLETED',
        startTime: '2026-11-28T12:00:00.000Z',
        jobId: null,
        state: null,
        name: null,
        version: null,
      },
    ]);
    expect(lines[0]).toMatch(/^STARTED \(UTC\)\s+STATE\s+TDG JOB\s+WORKFLOW\s+WORKFLOW ID\s+VERSION\s+NAME$/);
    expect(lines[1]).toMatch(
      /^2026-11-28 13:00:00\s+IN_PROGRESS\s+7ed69f4c06591ff\s+RUNNING\s+wf-a\s+tdg-email-append:wf-0bbf8fff76ab \(Pinned\)\s+Nightly$/,
    );
    expect(lines[2]).toMatch(/^2026-11-28 12:00:00\s+-\s+-\s+COMPLETED\s+wf-b\s+-$/);
    expect(lines[1]!.indexOf('wf-a')).toBe(lines[2]!.indexOf('wf-b'));
  });

  it('the starter turns an unknown-search-attribute refusal into a setup hint', () => {
    expect(
      searchAttributeHint(new Error('Namespace x has no mapping defined for search attribute TdgJobState')),
    ).toMatch(/npm run setup/);
    expect(searchAttributeHint(new Error('deadline exceeded'))).toBeNull();
  });

  // Once a defect: `result --json` and `start --wait --json` printed
  // `{ kind: 'failed', failureType, … }` for a job that ended badly: no `error`, no `workflowId`.
  it('--json: a job that ended badly is the documented error document, with the exit code of its type', async () => {
    const failedResult: EmailAppendJobResult = {
      jobId: 'tdg-1',
      state: 'FAILED',
      batchList: ['b-1', 'b-2'],
      counts: { waitingForUpload: 0, queued: 0, inProgress: 0, completed: 1, failed: 1, malformed: 0 },
      createdDate: null,
      timeline: [],
      checks: 3,
      notifications: 1,
      detectedBy: 'notification',
      possibleDuplicateTdgJob: false,
    };
    const ended = [
      [new TdgJobError(JobErrorType.JobFailed, 'TDG reported FAILED', 'wf-1', null, failedResult), 1],
      [new TdgJobError(JobErrorType.JobCancelled, 'the job was cancelled', 'wf-1'), 3],
      [new TdgJobError(JobErrorType.JobDeadlineExceeded, 'deadline 1h passed', 'wf-1'), 3],
    ] as const;
    for (const [error, exit] of ended) {
      const out: string[] = [];
      const code = printOutcome(await outcomeOf(Promise.reject(error)), true, {
        out: (line) => out.push(line),
        err: (line) => out.push(`stderr: ${line}`),
      });
      expect(code).toBe(exit);
      expect(out).toHaveLength(1);
      const doc = JSON.parse(out[0]!) as Record<string, unknown>;
      expect(Object.keys(doc)).toEqual(['error']);
      expect(doc['error']).toEqual({
        type: error.type,
        message: error.message,
        workflowId: 'wf-1',
        ...(error.result ? { result: failedResult } : {}),
      });
    }
  });
});
