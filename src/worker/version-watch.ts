/**
 * Keeps a worker honest about its Worker Deployment version: it promotes itself when configured
 * to, or when its deployment has no current version at all (a first version: nothing else could
 * take its jobs; never under the Worker Controller, whose rollout promotes), then asks the server every `everyMs` where its version stands and logs each change, so a
 * worker whose version is not current says so instead of silently idling (health shows it too).
 */
import type { Logger, WorkerDeploymentVersion } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import {
  adoptIfNoneCurrent,
  describeVersion,
  promoteVersion,
  versionStatus,
  type VersionStatus,
} from './versioning.js';

export interface VersionWatcher {
  stop(): void;
}

export interface WatchVersionOptions {
  connection: NativeConnection;
  namespace: string;
  version: WorkerDeploymentVersion;
  promote: boolean;
  /** The Temporal Worker Controller promotes and retires this version: the log says so, not `temporal …`. */
  managedBy?: 'self' | 'worker-controller';
  log: Logger;
  onStatus: (status: VersionStatus) => void;
  everyMs?: number;
}

export function watchVersion(options: WatchVersionOptions): VersionWatcher {
  const { connection, namespace, version, log } = options;
  const name = describeVersion(version);
  const stopped = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let last: VersionStatus | undefined;
  const controlled = options.managedBy === 'worker-controller';

  const report = (status: VersionStatus): void => {
    options.onStatus(status);
    if (status === last) return;
    last = status;
    const meta = { version: name, status };
    if (status === 'current' || status === 'ramping') log.info(`worker version ${name} is ${status}`, meta);
    else if (status === 'draining')
      log.info(`worker version ${name} is draining: it serves only runs still pinned to it`, meta);
    else if (status === 'drained')
      log.warn(
        controlled
          ? `worker version ${name} is drained: no open run is pinned to it; the Worker Controller scales it down (sunset)`
          : `worker version ${name} is drained: no open run is pinned to it; stop this worker`,
        meta,
      );
    else if (status === 'inactive' && controlled)
      log.info(
        `worker version ${name} is not current yet: the Worker Controller promotes it (its rollout)`,
        meta,
      );
    else if (status === 'inactive')
      log.warn(
        `worker version ${name} is not current: new jobs go to the current version. Make it current with ` +
          `temporal worker deployment set-current-version --deployment-name ${version.deploymentName} --build-id ${version.buildId}`,
        meta,
      );
  };

  const poll = async (): Promise<void> => {
    try {
      report(await versionStatus(connection, namespace, version));
    } catch {
      // Not registered yet (no poll has reached the server), or Temporal briefly unreachable.
      report('unknown');
    }
    if (!stopped.signal.aborted) timer = setTimeout(() => void poll(), options.everyMs ?? 30_000);
  };

  void (async () => {
    if (options.promote) {
      try {
        await promoteVersion(connection, namespace, version, { signal: stopped.signal });
        log.info(`made worker version ${name} current (WORKER_PROMOTE)`, { version: name });
      } catch (err) {
        if (!stopped.signal.aborted)
          log.error(`WORKER_PROMOTE: ${(err as Error).message}`, { version: name });
      }
    } else if (!controlled) {
      try {
        const adopted = await adoptIfNoneCurrent(connection, namespace, version, { signal: stopped.signal });
        if (adopted.outcome === 'promoted')
          log.info(
            `made worker version ${name} current: deployment ${version.deploymentName} had no current version, ` +
              `so a first version takes work by itself (beside a current version it would wait for set-current-version)`,
            { version: name },
          );
      } catch (err) {
        if (!stopped.signal.aborted) log.warn((err as Error).message, { version: name });
      }
    }
    if (!stopped.signal.aborted) await poll();
  })();

  return {
    stop() {
      stopped.abort();
      clearTimeout(timer);
    },
  };
}
