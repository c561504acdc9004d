/** Reading the simulator's per-job records back to the workflow that created them. */
import type { JobView } from '../../simulator/app.js';

/** The workflow id a TDG job name carries: `"<name> (wf: <workflowId>)"` (activities/job-name.ts). */
export function workflowIdOfJobName(name: string): string | null {
  return /\(wf: ([^)]+)\)$/.exec(name)?.[1] ?? null;
}

/** Every simulator job, grouped by the workflow that created it (oldest first). */
export function jobsByWorkflow(jobs: readonly JobView[]): Map<string, JobView[]> {
  const out = new Map<string, JobView[]>();
  for (const job of jobs) {
    const id = workflowIdOfJobName(job.name);
    if (id === null) continue;
    const list = out.get(id) ?? [];
    list.push(job);
    out.set(id, list);
  }
  for (const list of out.values()) list.sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  return out;
}
