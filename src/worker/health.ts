/**
 * The worker's `/healthz`: 200 while the Temporal worker runs and both pollers poll, 503 while it
 * connects, drains or has failed. For container healthchecks and load balancers; it carries no
 * secrets (state, pollers, in-flight counts, task queue).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import type { WorkerDeploymentVersion } from '@temporalio/common';

export interface HealthReport {
  healthy: boolean;
  body: Record<string, unknown>;
}

export interface HealthServer {
  url: string;
  close(): Promise<void>;
}

export async function startHealthServer(options: {
  host: string;
  port: number;
  report: () => HealthReport;
}): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/healthz' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(path === '/healthz' ? 405 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: path === '/healthz' ? 'method not allowed' : 'not found' }));
      return;
    }
    let report: HealthReport;
    try {
      report = options.report();
    } catch (err) {
      report = { healthy: false, body: { error: (err as Error).name } };
    }
    const body = JSON.stringify({ status: report.healthy ? 'ok' : 'unavailable', ...report.body });
    response.writeHead(report.healthy ? 200 : 503, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/healthz`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What `/healthz` says about a worker: `null` while it is still being connected and created. */
export interface HealthContext {
  namespace: string;
  taskQueue: string;
  phase: string;
  /** The worker's deployment version and where it stands (current, ramping, draining, drained, inactive). */
  deployment?: { version: WorkerDeploymentVersion; status: string };
}

export function workerHealth(worker: Worker | null, context: HealthContext): HealthReport {
  if (worker === null) {
    return { healthy: false, body: { state: context.phase, ...where(context) } };
  }
  const status = worker.getStatus();
  const healthy =
    status.runState === 'RUNNING' &&
    status.workflowPollerState === 'POLLING' &&
    status.activityPollerState === 'POLLING';
  return {
    healthy,
    body: {
      state: status.runState,
      workflowPoller: status.workflowPollerState,
      activityPoller: status.activityPollerState,
      inFlightActivities: status.numInFlightActivities,
      inFlightWorkflowActivations: status.numInFlightWorkflowActivations,
      cachedWorkflows: status.numCachedWorkflows,
      ...where(context),
    },
  };
}

function where(context: HealthContext): Record<string, unknown> {
  const { deployment } = context;
  return {
    namespace: context.namespace,
    taskQueue: context.taskQueue,
    ...(deployment
      ? {
          deployment: deployment.version.deploymentName,
          buildId: deployment.version.buildId,
          versionStatus: deployment.status,
        }
      : {}),
  };
}
