/**
 * The Nexus endpoint in front of our task queue (docs/nexus.md): `npm run setup` creates it, or
 * points it at this namespace's task queue when it names another, idempotently; an endpoint of the
 * name that routes to another namespace is refused, never taken over. NEXUS_ENDPOINT
 * names it (default `tdg-email-append`); `off` leaves endpoints alone (Temporal Cloud: endpoints are
 * made in the Cloud UI or with `tcld`, and setup says so when the cluster refuses).
 */
import { z } from 'zod';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import {
  DEFAULT_NEXUS_ENDPOINT,
  NEXUS_ENDPOINT_PATTERN,
  NEXUS_SERVICE_NAME,
} from '../contract/nexus-service.js';
import { text } from '../platform/env/schema.js';

export const nexusEndpointSection = z
  .object({
    NEXUS_ENDPOINT: text
      .refine((value) => value === 'off' || NEXUS_ENDPOINT_PATTERN.test(value), {
        error: (issue) =>
          `must be off or an endpoint name (a letter, then letters, digits and -, at most 200), got ${JSON.stringify(issue.input)}`,
      })
      .prefault(DEFAULT_NEXUS_ENDPOINT),
  })
  .transform((env) => ({ endpoint: env.NEXUS_ENDPOINT === 'off' ? null : env.NEXUS_ENDPOINT }));

export interface NexusEndpointTarget {
  /** The endpoint's name, as callers' workflows spell it. */
  name: string;
  namespace: string;
  taskQueue: string;
}

/** The part of a `Connection` this module uses. */
export interface NexusOperatorConnection {
  operatorService: Pick<
    Connection['operatorService'],
    'listNexusEndpoints' | 'createNexusEndpoint' | 'updateNexusEndpoint'
  >;
}

export type EndpointOutcome = 'created' | 'updated' | 'unchanged';

export class NexusEndpointSetupError extends Error {
  override name = 'NexusEndpointSetupError';
}

/** How to make the endpoint by hand, where this client may not. */
export function manualEndpointInstructions(target: NexusEndpointTarget): string {
  return [
    `create the Nexus endpoint "${target.name}" by hand:`,
    `  self-hosted: temporal operator nexus endpoint create --name ${target.name} --target-namespace ${target.namespace} --target-task-queue ${target.taskQueue}`,
    `  Temporal Cloud: in the Cloud UI (Nexus → Create Endpoint), or tcld nexus endpoint create --name ${target.name} --target-namespace ${target.namespace} --target-task-queue ${target.taskQueue} --allow-namespace <caller namespace>`,
  ].join('\n');
}

/** The endpoint's description: Markdown in a JSON payload, as the Web UI and the CLI show it. */
function description(target: NexusEndpointTarget): {
  metadata: Record<string, Uint8Array>;
  data: Uint8Array;
} {
  const markdown = `Service \`${NEXUS_SERVICE_NAME}\`: start a TDG e-mail-append job and await its batch list (docs/nexus.md). Served by task queue \`${target.taskQueue}\` in namespace \`${target.namespace}\`.`;
  return {
    metadata: { encoding: new TextEncoder().encode('json/plain') },
    data: new TextEncoder().encode(JSON.stringify(markdown)),
  };
}

/** Creates the endpoint, or retargets it, so that it routes to `target`'s namespace and task queue. */
export async function ensureNexusEndpoint(
  connection: NexusOperatorConnection,
  target: NexusEndpointTarget,
): Promise<EndpointOutcome> {
  const spec = {
    name: target.name,
    description: description(target),
    target: { worker: { namespace: target.namespace, taskQueue: target.taskQueue } },
  };
  try {
    const listed = await connection.operatorService.listNexusEndpoints({ name: target.name, pageSize: 10 });
    const existing = listed.endpoints?.find((endpoint) => endpoint.spec?.name === target.name);
    if (!existing) {
      await connection.operatorService.createNexusEndpoint({ spec });
      return 'created';
    }
    const worker = existing.spec?.target?.worker;
    // Another namespace's endpoint (or an external one) is never taken over: its callers would
    // silently reach our jobs. In our namespace, a moved task queue is followed.
    if (worker?.namespace !== target.namespace)
      throw new NexusEndpointSetupError(
        `Nexus endpoint "${target.name}" already routes to ${worker ? `namespace "${worker.namespace}" (task queue ${worker.taskQueue})` : 'an external URL'}, ` +
          `not to namespace "${target.namespace}": left as it is; set NEXUS_ENDPOINT to another name for this namespace's endpoint, or to off`,
      );
    if (worker.taskQueue === target.taskQueue) return 'unchanged';
    await connection.operatorService.updateNexusEndpoint({
      id: existing.id ?? '',
      ...(existing.version != null ? { version: existing.version } : {}),
      spec,
    });
    return 'updated';
  } catch (err) {
    const code = isGrpcServiceError(err) ? Number(err.code) : undefined;
    // PERMISSION_DENIED, UNIMPLEMENTED, UNAUTHENTICATED: not ours to do here.
    if (code === 7 || code === 12 || code === 16)
      throw new NexusEndpointSetupError(
        `not allowed to manage Nexus endpoints through the operator service (${isGrpcServiceError(err) ? err.details || err.message : String(err)});\n${manualEndpointInstructions(target)}`,
        { cause: err },
      );
    throw err;
  }
}

export function describeEndpoint(target: NexusEndpointTarget, outcome: EndpointOutcome): string {
  const routes = `namespace "${target.namespace}", task queue ${target.taskQueue}`;
  if (outcome === 'unchanged') return `Nexus endpoint "${target.name}" → ${routes}: already there`;
  return `Nexus endpoint "${target.name}" → ${routes}: ${outcome}`;
}
