/** A running job's status, as the `status` query answers it: the fixture of the rendering tests. */
import type { JobStatus } from '../../src/contract/definitions.js';

export const counts = {
  waitingForUpload: 0,
  queued: 1,
  inProgress: 3,
  completed: 3,
  failed: 0,
  malformed: 0,
};

export function jobStatus(overrides: Partial<JobStatus> = {}): JobStatus {
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
