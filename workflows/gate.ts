/**
 * The rollout gate: the Worker Controller runs it on a new version before that version gets any
 * job, so a version that cannot reach TDG — bad credentials, no permission, a wrong base URL — is
 * never promoted. It asks TDG for a token and a job that cannot exist, and creates nothing.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { TdgActivities } from '../activities/index.js';
import type { TdgAccessReport } from '../src/contract/index.js';
import { TDG_ATTEMPT_TIMEOUT, TDG_RETRY_POLICY } from './tdg-activity-options.js';

/** A brief outage should not block a rollout; refused credentials fail at once (not retried). */
const GATE_ATTEMPTS = 3;

export async function tdgAccessGate(): Promise<TdgAccessReport> {
  const { checkTdgAccess } = proxyActivities<TdgActivities>({
    summary: 'reach TDG with this version’s credentials',
    startToCloseTimeout: TDG_ATTEMPT_TIMEOUT,
    retry: { ...TDG_RETRY_POLICY, maximumAttempts: GATE_ATTEMPTS },
  });
  return checkTdgAccess();
}
