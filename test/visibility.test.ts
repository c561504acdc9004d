/** Pure parts of what users see: the Web UI's current details, the starter's progress, search-attribute setup. */
import { describe, expect, it } from 'vitest';
import { renderDetails, formatUtc, describeBatches } from '../workflows/details.js';
import { escapeMarkdown } from '../src/contract/index.js';
import {
  CLEAR_LINE,
  batchBar,
  fitToWidth,
  formatElapsed,
  plainProgress,
  progressLine,
  ttyProgress,
} from '../src/cli/progress.js';
import {
  SearchAttributeSetupError,
  ensureSearchAttributes,
  manualSetupInstructions,
  type OperatorConnection,
} from '../src/cli/search-attributes.js';
import { formatJobTable, searchAttributeHint } from '../src/cli/output.js';
import { staticDetails } from '../src/client/start-details.js';
import type { JobStatus } from '../src/contract/definitions.js';

const counts = { waitingForUpload: 0, queued: 1, inProgress: 3, completed: 3, failed: 0, malformed: 0 };

function status(overrides: Partial<JobStatus> = {}): JobStatus {
  return {
    workflowId: 'tdg-nightly-1',
    jobId: '7ed69f4c06591ff',
    name: 'Nightly',
    state: 'IN_PROGRESS',
    counts,
    batchList: [],
    checks: 10,
    notifications: 2,
    notificationsRequested: true,
    nextCheckAt: '2026-11-28T13:12:14.986Z',
    lastError: null,
    lastNotificationAt: '2026-11-28T13:10:02.100Z',
    lastNotifiedState: null,
    deadlineAt: '2026-12-05T13:00:00.000Z',
    runs: 1,
    timeline: [],
    possibleDuplicateTdgJob: false,
    ...overrides,
  };
}

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

  it('static details name the job, notifications, deadline and the status command', () => {
    const text = staticDetails(
      { name: 'A [sim x]', notificationMethod: null, deadlineMs: 2 * 86_400_000 },
      'wf-1',
    );
    expect(text).toContain('**job name:** A \\[sim x\\]');
    expect(text).toContain('none: polling only');
    expect(text).toContain('2d from the start');
    expect(text).toContain('`npm run job -- status wf-1`');
  });
});

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
});

/** A gRPC-style error as @grpc/grpc-js raises it. */
function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

function fakeOperator(
  lists: Record<string, number>[],
  add: () => Promise<void> = () => Promise.resolve(),
): OperatorConnection & { added: unknown[] } {
  const added: unknown[] = [];
  let call = 0;
  const fake = {
    added,
    operatorService: {
      listSearchAttributes: () =>
        Promise.resolve({
          customAttributes: lists[Math.min(call++, lists.length - 1)] ?? {},
          systemAttributes: {},
          storageSchema: {},
        }),
      addSearchAttributes: async (request: unknown) => {
        added.push(request);
        await add();
        return {};
      },
    },
  };
  return fake as unknown as OperatorConnection & { added: unknown[] };
}

describe('search attribute setup (operator service)', () => {
  it('adds only what is missing and verifies it', async () => {
    const fake = fakeOperator([{ TdgJobId: 2 }, { TdgJobId: 2, TdgJobState: 2, TdgPossibleDuplicate: 5 }]);
    await expect(ensureSearchAttributes(fake, 'ns')).resolves.toEqual({
      namespace: 'ns',
      added: ['TdgJobState', 'TdgPossibleDuplicate'],
      existing: ['TdgJobId'],
    });
    expect(fake.added).toEqual([
      { namespace: 'ns', searchAttributes: { TdgJobState: 2, TdgPossibleDuplicate: 5 } },
    ]);
  });

  it('refuses a name registered with another type', async () => {
    const fake = fakeOperator([{ TdgJobId: 1 }]);
    const err = await ensureSearchAttributes(fake, 'ns').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributeSetupError);
    expect((err as SearchAttributeSetupError).problem).toBe('conflict');
    expect((err as Error).message).toMatch(/TdgJobId exists .* as Text, but the workflow needs Keyword/);
    expect(fake.added).toEqual([]);
  });

  it('explains what to do when the cluster does not allow it (Temporal Cloud)', async () => {
    const fake = fakeOperator([{}], () => Promise.reject(grpcError(7, 'Request unauthorized.')));
    const err = await ensureSearchAttributes(fake, 'acme.a1b2c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SearchAttributeSetupError);
    expect((err as SearchAttributeSetupError).problem).toBe('permission');
    const message = (err as Error).message;
    expect(message).toMatch(/not allowed to register search attributes .*Request unauthorized/);
    expect(message).toContain('Cloud UI');
    expect(message).toContain(
      'tcld namespace search-attributes add --namespace acme.a1b2c --search-attribute "TdgJobId=Keyword" --search-attribute "TdgJobState=Keyword" --search-attribute "TdgPossibleDuplicate=Bool"',
    );
    expect(manualSetupInstructions('n', ['TdgJobState', 'TdgPossibleDuplicate'])).toContain(
      'temporal operator search-attribute create --namespace n --name TdgJobState --type Keyword && ' +
        'temporal operator search-attribute create --namespace n --name TdgPossibleDuplicate --type Bool',
    );
  });

  it('treats a concurrent registration (ALREADY_EXISTS) as done', async () => {
    const fake = fakeOperator([{}, { TdgJobId: 2, TdgJobState: 2, TdgPossibleDuplicate: 5 }], () =>
      Promise.reject(grpcError(6, 'already exists')),
    );
    await expect(ensureSearchAttributes(fake, 'ns')).resolves.toMatchObject({
      added: ['TdgJobId', 'TdgJobState', 'TdgPossibleDuplicate'],
    });
  });

  it('the starter turns an unknown-search-attribute refusal into a setup hint', () => {
    expect(
      searchAttributeHint(new Error('Namespace x has no mapping defined for search attribute TdgJobState')),
    ).toMatch(/npm run setup/);
    expect(searchAttributeHint(new Error('deadline exceeded'))).toBeNull();
  });
});
