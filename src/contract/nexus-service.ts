/**
 * The Nexus service other teams' workflows call (docs/nexus.md): one definition, shared by our
 * handler (src/nexus) and every caller. Kept out of the contract's index on purpose: our own
 * workflow bundle never loads it, so publishing the service changes no build id.
 *
 * Operations mirror the typed client: `startJob` is asynchronous (it starts our `emailAppendJob`
 * and completes with its result, or fails with its typed failure), `getStatus` and `checkNow`
 * answer at once.
 */
import * as nexus from 'nexus-rpc';
import type {
  EmailAppendJobInput,
  EmailAppendJobResult,
  JobStatus,
  NotificationMethod,
} from './definitions.js';
import { jobInputProblems, workflowIdProblem } from './job-input.js';

export const NEXUS_SERVICE_NAME = 'tdgEmailAppend';
/** The endpoint name `npm run setup` creates unless NEXUS_ENDPOINT names another. */
export const DEFAULT_NEXUS_ENDPOINT = 'tdg-email-append';
/** What the server accepts as an endpoint name. */
export const NEXUS_ENDPOINT_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]{0,198}[a-zA-Z0-9]$/;

export interface NexusStartJobInput {
  /**
   * The caller's own key for this job (e.g. `crm-nightly-2026-12-06`), used as our workflow id: a
   * retried or repeated start with the same key gets the same job, never a second TDG job.
   */
  businessKey: string;
  /** TDG's job name. */
  name: string;
  /** How TDG notifies our listener; null: polling only. Default POST. */
  notificationMethod?: NotificationMethod | null;
  /** Total time allowed for the job (default 7 days). */
  deadlineMs?: number;
  polling?: EmailAppendJobInput['polling'];
}

export interface NexusJobRef {
  businessKey: string;
}

/** `getStatus`'s answer: the live status while the job runs, or how it ended. */
export type NexusJobStatus =
  | { running: true; status: JobStatus }
  /** No worker answered the status query: what visibility knows, and why. */
  | { running: true; status: null; state: string | null; jobId: string | null; reason: string }
  | {
      running: false;
      /** COMPLETED, FAILED, CANCELLED, DEADLINE_EXCEEDED, ERROR or TERMINATED. */
      ending: string;
      failure: { type: string; message: string } | null;
      jobId: string | null;
      result: EmailAppendJobResult | null;
      lastStatus: JobStatus | null;
    };

export const tdgEmailAppendService = nexus.service(NEXUS_SERVICE_NAME, {
  startJob: nexus.operation<NexusStartJobInput, EmailAppendJobResult>(),
  getStatus: nexus.operation<NexusJobRef, NexusJobStatus>(),
  checkNow: nexus.operation<NexusJobRef, JobStatus>(),
});

/** The job input a start asks for, by the client's defaults. */
export function jobInputOf(input: NexusStartJobInput): EmailAppendJobInput {
  return {
    name: input.name,
    outputFormat: 'JSON',
    notificationMethod: input.notificationMethod === undefined ? 'POST' : input.notificationMethod,
    ...(input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}),
    ...(input.polling ? { polling: input.polling } : {}),
  };
}

/** Every problem of a start request, by the client's and the CLI's rules (empty: valid). */
export function nexusStartJobProblems(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return ['the input must be an object'];
  const request = input as NexusStartJobInput;
  const key = businessKeyProblem(request.businessKey);
  return [...(key ? [key] : []), ...jobInputProblems(jobInputOf(request))];
}

/** What is wrong with a business key (null: nothing): it must be a valid workflow id. */
export function businessKeyProblem(key: unknown): string | null {
  const problem = workflowIdProblem(key);
  return problem === null ? null : `businessKey: ${problem.replace('a workflow id is required', 'required')}`;
}
