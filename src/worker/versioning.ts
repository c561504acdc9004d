/**
 * Worker Deployment versions. Every worker polls as one version of a deployment: its build id
 * follows the workflow code (the bundle's content hash) so a code change is a new version, and new
 * runs are pinned to the version that was current when they started. A new version receives new
 * jobs only once it is made current; pinned runs of an older one move onto it at their next wake
 * (the workflow continues as new with AUTO_UPGRADE), so old versions drain without patches.
 */
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NativeConnection, Worker } from '@temporalio/worker';
import type { VersioningBehavior, WorkerDeploymentVersion } from '@temporalio/common';

export interface WorkerVersioning {
  deploymentName: string;
  /** Overrides the build id derived from the workflow bundle (e.g. a release tag). */
  buildId?: string | undefined;
  /**
   * PINNED in production: a run stays on the code it started with until it continues as new.
   * AUTO_UPGRADE where nothing older may be left to serve a pinned run (the embedded stack).
   */
  defaultBehavior: VersioningBehavior;
}

/**
 * A build id that changes exactly when the workflow bundle's code does. The bundle's inline source
 * map is left out: it names files by absolute path and its mappings depend on their length, so the
 * same code bundled in another checkout (or in the image's /app) would otherwise get another id.
 */
export function buildIdOf(workflowCode: string): string {
  const code = withoutSourceMap(workflowCode);
  return `wf-${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

const SOURCE_MAP_COMMENT = /\n\/\/# sourceMappingURL=[^\n]*\s*$/;

/** The bundle without its trailing `//# sourceMappingURL=…` comment. */
export function withoutSourceMap(workflowCode: string): string {
  return workflowCode.replace(SOURCE_MAP_COMMENT, '\n');
}

export function versionOf(versioning: WorkerVersioning, workflowCode: string): WorkerDeploymentVersion {
  return {
    deploymentName: versioning.deploymentName,
    buildId: versioning.buildId ?? buildIdOf(workflowCode),
  };
}

export function describeVersion(version: WorkerDeploymentVersion): string {
  return `${version.deploymentName}.${version.buildId}`;
}

/** Where a version stands in its deployment, as `temporal worker deployment describe-version` says. */
export type VersionStatus = 'current' | 'ramping' | 'draining' | 'drained' | 'inactive' | 'unknown';

export async function versionStatus(
  connection: NativeConnection,
  namespace: string,
  version: WorkerDeploymentVersion,
): Promise<VersionStatus> {
  const answer = await connection.workflowService.describeWorkerDeploymentVersion({
    namespace,
    deploymentVersion: { deploymentName: version.deploymentName, buildId: version.buildId },
  });
  const status = answer.workerDeploymentVersionInfo?.status;
  const name = typeof status === 'number' ? STATUS_NAMES[status] : undefined;
  return name ?? 'unknown';
}

// temporal.api.enums.v1.WorkerDeploymentVersionStatus
const STATUS_NAMES: Record<number, VersionStatus> = {
  1: 'inactive',
  2: 'current',
  3: 'ramping',
  4: 'draining',
  5: 'drained',
};

/**
 * Makes `version` the deployment's current version. The server only knows a version once one of its
 * workers has polled, so this retries until then (or `timeoutMs`); call it while the worker runs.
 */
export async function promoteVersion(
  connection: NativeConnection,
  namespace: string,
  version: WorkerDeploymentVersion,
  options: { timeoutMs?: number; signal?: AbortSignal; identity?: string } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    try {
      await connection.workflowService.setWorkerDeploymentCurrentVersion({
        namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: options.identity ?? 'tdg-email-append',
      });
      return;
    } catch (err) {
      if (Date.now() + delayMs > deadline || options.signal?.aborted) {
        throw new Error(
          `could not make ${describeVersion(version)} the current version: ${(err as Error).message}`,
          { cause: err },
        );
      }
      await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined).catch(
        () => undefined,
      );
    }
  }
}

/** A deployment's routing as the server has it: its current version (null: none) and the token guarding a change. */
export interface DeploymentRouting {
  current: WorkerDeploymentVersion | null;
  /** Someone chose the current version (or chose none: unversioned workers) at least once. */
  everSet: boolean;
  conflictToken: Uint8Array;
}

/** The deployment's routing, or null while the server does not know it (none of its workers has polled yet). */
export async function deploymentRouting(
  connection: NativeConnection,
  namespace: string,
  deploymentName: string,
): Promise<DeploymentRouting | null> {
  let answer;
  try {
    answer = await connection.workflowService.describeWorkerDeployment({ namespace, deploymentName });
  } catch (err) {
    if ((err as { code?: unknown }).code === GRPC_NOT_FOUND) return null;
    throw err;
  }
  const routing = answer.workerDeploymentInfo?.routingConfig;
  const current = routing?.currentDeploymentVersion;
  return {
    current: current?.buildId
      ? { deploymentName: current.deploymentName ?? deploymentName, buildId: current.buildId }
      : null,
    everSet: Boolean(routing?.currentVersionChangedTime),
    conflictToken: answer.conflictToken,
  };
}

const GRPC_NOT_FOUND = 5;

/** What `adoptIfNoneCurrent` did: made the version current, found it current, or found another version chosen. */
export type AdoptOutcome =
  | { outcome: 'promoted' }
  | { outcome: 'already-current' }
  | { outcome: 'waits'; current: WorkerDeploymentVersion | null };

/**
 * Makes `version` current only while its deployment has none: a first version takes work by itself
 * (otherwise nothing could ever run its jobs: no version would be current, so no poller could take
 * a task), while a version beside a current one waits for an operator's promotion. The change carries
 * the conflict token of the read, so of two first versions started at once only one wins and the
 * other waits. A deployment whose operator chose unversioned workers as current is left alone.
 * Retries until the server knows the version (its first poll) or `timeoutMs`.
 */
export async function adoptIfNoneCurrent(
  connection: NativeConnection,
  namespace: string,
  version: WorkerDeploymentVersion,
  options: { timeoutMs?: number; signal?: AbortSignal; identity?: string } = {},
): Promise<AdoptOutcome> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 2_000)) {
    let problem: unknown = null;
    try {
      const routing = await deploymentRouting(connection, namespace, version.deploymentName);
      if (routing?.current) {
        return routing.current.buildId === version.buildId
          ? { outcome: 'already-current' }
          : { outcome: 'waits', current: routing.current };
      }
      if (routing?.everSet) return { outcome: 'waits', current: null };
      if (routing) {
        await connection.workflowService.setWorkerDeploymentCurrentVersion({
          namespace,
          deploymentName: version.deploymentName,
          buildId: version.buildId,
          conflictToken: routing.conflictToken,
          identity: options.identity ?? 'tdg-email-append (first version)',
        });
        return { outcome: 'promoted' };
      }
    } catch (err) {
      // The version not registered yet (its poll still on the way), or another version changed the
      // routing since the read (the conflict token): read again.
      problem = err;
    }
    if (Date.now() + delayMs > deadline || options.signal?.aborted) {
      const why = problem
        ? `: ${(problem as Error).message}`
        : ' (the server does not know the deployment yet)';
      throw new Error(`could not check whether ${describeVersion(version)} is the first version${why}`, {
        cause: problem,
      });
    }
    await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined).catch(
      () => undefined,
    );
  }
}

/** The version a worker polls as, or null for an unversioned one. */
export function workerVersion(worker: Worker): WorkerDeploymentVersion | null {
  return worker.options.workerDeploymentOptions?.version ?? null;
}

/**
 * Runs the worker, makes its version current as soon as it polls, then runs `fn`: how the embedded
 * stack, the tests and the benchmark's workers take new jobs without an operator's step.
 */
export async function runAsCurrent<T>(
  worker: Worker,
  connection: NativeConnection,
  fn: () => Promise<T>,
): Promise<T> {
  return worker.runUntil(async () => {
    const version = workerVersion(worker);
    if (version) await promoteVersion(connection, worker.options.namespace, version);
    return fn();
  });
}
