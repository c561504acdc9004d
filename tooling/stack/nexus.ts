/** The Nexus example's wiring on a stack of ours: another team's namespace, and our endpoint. */
import type { Connection } from '@temporalio/client';
import { describeEndpoint, ensureNexusEndpoint } from '../../src/cli/nexus-endpoint.js';
import { DEFAULT_NEXUS_ENDPOINT } from '../../src/contract/nexus-service.js';

/** The namespace `npm run dev` and `npm run cluster` create for the caller's side of docs/nexus.md. */
export const CALLER_NAMESPACE = 'tdg-caller';

/** Our endpoint, routed to the job's namespace and task queue, as `npm run setup` makes it. */
export async function ensureExampleEndpoint(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
  taskQueue: string,
): Promise<string> {
  const target = { name: DEFAULT_NEXUS_ENDPOINT, namespace, taskQueue };
  return describeEndpoint(target, await ensureNexusEndpoint(connection, target));
}
