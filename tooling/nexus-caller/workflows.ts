// Another team's workflow, in its own namespace, running a TDG job through our Nexus endpoint.
import { ApplicationFailure, createNexusServiceClient, isCancellation } from '@temporalio/workflow';
import { tdgEmailAppendService } from '../../src/contract/nexus-service.js';

export interface AppendInput {
  endpoint: string; // the Nexus endpoint's name, e.g. tdg-email-append
  businessKey: string; // ours, and the job's id over there: a retry never makes a second TDG job
  name: string;
}

export type AppendOutcome =
  | { outcome: 'COMPLETED'; jobId: string; batchList: string[] }
  | { outcome: 'FAILED'; jobId: string; batchList: string[] } // TDG failed the job: its batches still tell which
  | { outcome: 'DEADLINE_EXCEEDED'; message: string };

export async function appendViaNexus(input: AppendInput): Promise<AppendOutcome> {
  const tdg = createNexusServiceClient({ endpoint: input.endpoint, service: tdgEmailAppendService });
  try {
    const result = await tdg.executeOperation(
      'startJob',
      { businessKey: input.businessKey, name: input.name },
      { scheduleToCloseTimeout: '8 days' }, // the job's own deadline is 7 days
    );
    return { outcome: 'COMPLETED', jobId: result.jobId, batchList: result.batchList };
  } catch (err) {
    // Cancelling this workflow cancels the job over there (which records its TDG job): let it end us.
    if (isCancellation(err)) throw err;
    const failure = applicationFailureIn(err);
    if (failure?.type === 'JobFailed') {
      const result = failure.details?.[0] as { jobId: string; batchList: string[] };
      return { outcome: 'FAILED', jobId: result.jobId, batchList: result.batchList };
    }
    if (failure?.type === 'JobDeadlineExceeded')
      return { outcome: 'DEADLINE_EXCEEDED', message: failure.message };
    throw err;
  }
}

/** The job's typed failure, under the Nexus operation's failure (and the SDK's OperationError, if any). */
function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  for (let e = err; e instanceof Error; e = e.cause)
    if (e instanceof ApplicationFailure && e.type !== 'OperationError') return e;
  return undefined;
}
