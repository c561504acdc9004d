import { describe, expect, it } from 'vitest';
import { TdgMalformedResponseError } from '../src/tdg/errors.js';
import { jobNameFor, MAX_JOB_NAME_CHARS } from '../src/tdg/job-name.js';
import {
  normalizeJob,
  parseJsonLeniently,
  readExpiresInMs,
  readJobId,
  readToken,
} from '../src/tdg/normalize.js';

/** Verbatim from TDG's Asynchronous Job Tutorial (seed/asynchronous-job-tutorial.txt), trailing comma included. */
const TUTORIAL_JOB_BODY =
  '{ "state": "COMPLETED", "number_batches_waiting_for_upload": 0, "number_batches_queued": 0, "number_batches_in_progress": 0, "number_batches_completed": 5, "number_batches_failed": 0, "number_batches_malformed": 0, "created_date": "1461726337744", "output_format": "JSON", "batch_list": [ "54115674feafeafe", "fae464efae454fee", "fe45a6ef654ef6ea", "786feafe4efae56f", "g468ge465ge6ew", ] }';

describe('parseJsonLeniently', () => {
  it('parses strict JSON without flagging it', () => {
    expect(parseJsonLeniently('{"job_id": "160718103247ad0"}')).toEqual({
      value: { job_id: '160718103247ad0' },
      lenient: false,
    });
  });

  it("reads the tutorial's own example body despite its trailing comma, and flags it", () => {
    const { value, lenient } = parseJsonLeniently(TUTORIAL_JOB_BODY);
    expect(lenient).toBe(true);
    expect(value).toMatchObject({ state: 'COMPLETED', batch_list: expect.any(Array) as unknown });
  });

  it('removes trailing commas before } and across newlines too', () => {
    expect(parseJsonLeniently('{"a": [1, 2,\n\t],\n "b": {"c": 1,},\n}')).toEqual({
      value: { a: [1, 2], b: { c: 1 } },
      lenient: true,
    });
  });

  it('leaves commas inside strings alone, including after escaped quotes', () => {
    const { value } = parseJsonLeniently('{"a": "x, ]", "b": "say \\"hi, }\\"", "c": [1,],}');
    expect(value).toEqual({ a: 'x, ]', b: 'say "hi, }"', c: [1] });
  });

  it('throws a malformed-response error showing the start of an unreadable body', () => {
    const html = `<html><body>${'Bad gateway '.repeat(40)}</body></html>`;
    let caught: unknown;
    try {
      parseJsonLeniently(html);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TdgMalformedResponseError);
    const error = caught as TdgMalformedResponseError;
    expect(error.detail).toBe('the body is not valid JSON');
    expect(error.bodyPreview.startsWith('<html><body>Bad gateway')).toBe(true);
    expect(error.bodyPreview.length).toBeLessThanOrEqual(201);
    expect(error.message).toContain('<html><body>Bad gateway');
  });

  it('reports an empty body as such', () => {
    expect(() => parseJsonLeniently('  ')).toThrow(/the body is empty/);
  });

  it('does not "repair" JSON broken in other ways', () => {
    expect(() => parseJsonLeniently('{"a": 1,, }')).toThrow(TdgMalformedResponseError);
  });
});

describe('normalizeJob', () => {
  it("normalises the tutorial's example response completely", () => {
    const snapshot = normalizeJob('160718103247ad0', parseJsonLeniently(TUTORIAL_JOB_BODY).value);
    expect(snapshot).toEqual({
      jobId: '160718103247ad0',
      state: 'COMPLETED',
      counts: { waitingForUpload: 0, queued: 0, inProgress: 0, completed: 5, failed: 0, malformed: 0 },
      createdDate: '2016-04-27T03:05:37.744Z',
      outputFormat: 'JSON',
      batchList: [
        '54115674feafeafe',
        'fae464efae454fee',
        'fe45a6ef654ef6ea',
        '786feafe4efae56f',
        'g468ge465ge6ew',
      ],
      missingFields: [],
    });
  });

  it('upper-cases and trims the state and keeps unknown states visible', () => {
    expect(normalizeJob('j', { state: '  in_progress ' }).state).toBe('IN_PROGRESS');
    expect(normalizeJob('j', { state: 'Paused-By-Support' }).state).toBe('PAUSED-BY-SUPPORT');
  });

  it('accepts counts as numeric strings', () => {
    const snapshot = normalizeJob('j', {
      state: 'IN_PROGRESS',
      number_batches_waiting_for_upload: '1',
      number_batches_queued: ' 2 ',
      number_batches_in_progress: 3,
      number_batches_completed: '4',
      number_batches_failed: '0',
      number_batches_malformed: 0,
    });
    expect(snapshot.counts).toEqual({
      waitingForUpload: 1,
      queued: 2,
      inProgress: 3,
      completed: 4,
      failed: 0,
      malformed: 0,
    });
    expect(snapshot.missingFields).not.toContain('number_batches_queued');
  });

  it('reports missing and unreadable fields instead of guessing', () => {
    const snapshot = normalizeJob('j', {
      number_batches_completed: 'five',
      number_batches_failed: -1,
      number_batches_queued: null,
      created_date: 'yesterday',
      batch_list: 'abc',
    });
    expect(snapshot.state).toBe('UNKNOWN');
    expect(snapshot.counts.completed).toBe(0);
    expect(snapshot.createdDate).toBeNull();
    expect(snapshot.outputFormat).toBeNull();
    expect(snapshot.batchList).toEqual([]);
    expect(snapshot.missingFields.sort()).toEqual(
      [
        'state',
        'number_batches_waiting_for_upload',
        'number_batches_queued',
        'number_batches_in_progress',
        'number_batches_completed',
        'number_batches_failed',
        'number_batches_malformed',
        'created_date',
        'output_format',
        'batch_list',
      ].sort(),
    );
  });

  describe('only a complete answer ends a job', () => {
    const completed = (fields: Record<string, unknown>) => ({
      state: 'completed',
      number_batches_waiting_for_upload: 0,
      number_batches_queued: 0,
      number_batches_in_progress: 0,
      number_batches_completed: 4,
      number_batches_failed: 0,
      number_batches_malformed: 0,
      created_date: '1461726337744',
      output_format: 'JSON',
      ...fields,
    });

    it('refuses COMPLETED without a batch_list as unreadable, saying why', () => {
      expect(() => normalizeJob('j', completed({}))).toThrow(TdgMalformedResponseError);
      expect(() => normalizeJob('j', completed({}))).toThrow(/COMPLETED.*no readable "batch_list"/);
      expect(() => normalizeJob('j', completed({ batch_list: 'a,b,c,d' }))).toThrow(/no readable/);
    });

    it('refuses COMPLETED whose list is shorter than number_batches_completed (an empty one too)', () => {
      expect(() => normalizeJob('j', completed({ batch_list: [] }))).toThrow(
        /names 0 batch\(es\) but "number_batches_completed" says 4/,
      );
      expect(() => normalizeJob('j', completed({ batch_list: ['a', 'b', 'c'] }))).toThrow(/names 3/);
    });

    it('refuses COMPLETED whose list has an entry that is not an id', () => {
      expect(() => normalizeJob('j', completed({ batch_list: ['a', 'b', 7, 'd'] }))).toThrow(
        /unreadable entries \(batch_list\[2\]\)/,
      );
    });

    it('accepts COMPLETED with the whole list (or more), and a running job with none', () => {
      expect(normalizeJob('j', completed({ batch_list: ['a', 'b', 'c', 'd'] })).batchList).toHaveLength(4);
      expect(normalizeJob('j', completed({ batch_list: ['a', 'b', 'c', 'd', 'e'] })).batchList).toHaveLength(
        5,
      );
      expect(normalizeJob('j', completed({ number_batches_completed: 0, batch_list: [] })).batchList).toEqual(
        [],
      );
      expect(normalizeJob('j', completed({ state: 'IN_PROGRESS' })).missingFields).toContain('batch_list');
    });
  });

  it('treats an empty or non-string state as missing', () => {
    expect(normalizeJob('j', { state: '   ' })).toMatchObject({ state: 'UNKNOWN' });
    expect(normalizeJob('j', { state: 3 }).missingFields).toContain('state');
  });

  it('reads created_date as epoch ms in a string or a number, or as an ISO date', () => {
    expect(normalizeJob('j', { created_date: 1461726337744 }).createdDate).toBe('2016-04-27T03:05:37.744Z');
    expect(normalizeJob('j', { created_date: '2024-01-02T03:04:05Z' }).createdDate).toBe(
      '2024-01-02T03:04:05.000Z',
    );
    const outOfRange = normalizeJob('j', { created_date: '99999999999999999999' });
    expect(outOfRange.createdDate).toBeNull();
    expect(outOfRange.missingFields).toContain('created_date');
  });

  it('drops non-string batch ids and reports each one', () => {
    const snapshot = normalizeJob('j', { batch_list: ['a', 7, null, 'b', { id: 'c' }] });
    expect(snapshot.batchList).toEqual(['a', 'b']);
    expect(snapshot.missingFields).toEqual(
      expect.arrayContaining(['batch_list[1]', 'batch_list[2]', 'batch_list[4]']),
    );
  });

  it('rejects a body that is not an object', () => {
    expect(() => normalizeJob('j', ['COMPLETED'])).toThrow(TdgMalformedResponseError);
    expect(() => normalizeJob('j', null)).toThrow(/not a JSON object/);
  });
});

describe('readJobId', () => {
  it('reads the documented create answer', () => {
    expect(readJobId({ job_id: '160718103247ad0' })).toBe('160718103247ad0');
  });

  it('accepts a numeric id and a data envelope', () => {
    expect(readJobId({ job_id: 160718103247 })).toBe('160718103247');
    expect(readJobId({ data: { job_id: 'abc' } })).toBe('abc');
  });

  it('throws a malformed-response error when the id is missing or empty', () => {
    expect(() => readJobId({ id: 'abc' })).toThrow(TdgMalformedResponseError);
    expect(() => readJobId({ job_id: '  ' })).toThrow(/job_id/);
    expect(() => readJobId('abc')).toThrow(TdgMalformedResponseError);
  });
});

describe('readToken', () => {
  it.each([
    ['token', { token: 't1' }],
    ['authorization_token', { authorization_token: 't1' }],
    ['AuthorizationToken', { AuthorizationToken: 't1' }],
    ['authorizationToken', { authorizationToken: 't1' }],
    ['access_token', { access_token: 't1' }],
    ['a data envelope', { data: { AuthorizationToken: 't1' } }],
    ['a bare JSON string', 't1'],
  ])('reads the token from %s', (_label, body) => {
    expect(readToken(body)).toBe('t1');
  });

  it('prefers a configured field over the usual names', () => {
    expect(readToken({ token: 'generic', session_key: 'configured' }, 'session_key')).toBe('configured');
    expect(readToken({ data: { session_key: 'nested' } }, 'session_key')).toBe('nested');
  });

  it('returns undefined when no field holds a non-empty string', () => {
    expect(readToken({ token: '' })).toBeUndefined();
    expect(readToken({ token: 42 })).toBeUndefined();
    expect(readToken(null)).toBeUndefined();
  });
});

describe('readExpiresInMs', () => {
  it('reads an OAuth-style lifetime in seconds, as a number or numeric string', () => {
    expect(readExpiresInMs({ token: 't', expires_in: 28800 })).toBe(28_800_000);
    expect(readExpiresInMs({ data: { expires_in: '60' } })).toBe(60_000);
  });

  it('ignores absent, zero and unreadable lifetimes', () => {
    expect(readExpiresInMs({ token: 't' })).toBeUndefined();
    expect(readExpiresInMs({ expires_in: 0 })).toBeUndefined();
    expect(readExpiresInMs({ expires_in: 'soon' })).toBeUndefined();
  });
});

describe('jobNameFor', () => {
  it('appends the workflow id for traceability', () => {
    expect(jobNameFor('Tutorial Job', 'wf-1')).toBe('Tutorial Job (wf: wf-1)');
  });

  it('leaves a name that already carries the workflow id alone', () => {
    expect(jobNameFor('nightly wf-1 [sim outcome=FAILED]', 'wf-1')).toBe('nightly wf-1 [sim outcome=FAILED]');
  });

  it('shortens the name, not the suffix, to stay within the limit', () => {
    const name = jobNameFor('x'.repeat(400), 'wf-1');
    expect(name).toHaveLength(MAX_JOB_NAME_CHARS);
    expect(name.endsWith(' (wf: wf-1)')).toBe(true);
  });

  it('never cuts a character in half', () => {
    const name = jobNameFor('😀'.repeat(300), 'wf');
    expect(Array.from(name)).toHaveLength(MAX_JOB_NAME_CHARS);
    expect(name).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});
