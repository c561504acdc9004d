/** The caller's synchronous operations: the job's status, and a manual check, by business key. */
import { createNexusServiceClient } from '@temporalio/workflow';
import { tdgEmailAppendService, type NexusJobStatus } from '../../src/contract/nexus-service.js';
import type { JobStatus } from '../../src/contract/definitions.js';

export async function statusViaNexus(endpoint: string, businessKey: string): Promise<NexusJobStatus> {
  const tdg = createNexusServiceClient({ endpoint, service: tdgEmailAppendService });
  return tdg.executeOperation('getStatus', { businessKey }, { scheduleToCloseTimeout: '1 minute' });
}

export async function checkViaNexus(endpoint: string, businessKey: string): Promise<JobStatus> {
  const tdg = createNexusServiceClient({ endpoint, service: tdgEmailAppendService });
  return tdg.executeOperation('checkNow', { businessKey }, { scheduleToCloseTimeout: '1 minute' });
}
