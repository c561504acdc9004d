/** src/client/start-details.ts: the static details a job is started with (the Web UI's summary of it). */
import { describe, expect, it } from 'vitest';
import { staticDetails } from '../src/client/start-details.js';

describe('static details (Web UI markdown)', () => {
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
