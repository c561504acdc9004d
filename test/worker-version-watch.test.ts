/**
 * What a worker says about its version: under the Temporal Worker Controller it points at the
 * controller (which promotes and retires versions), elsewhere at the `temporal` command an operator
 * runs; and when a worker makes its own version current (told to, or as its deployment's first).
 * A fake connection answers describeWorkerDeployment and describeWorkerDeploymentVersion; no server
 * is needed.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { watchVersion } from '../src/worker/version-watch.js';

const version = { deploymentName: 'tdg/tdg-worker', buildId: 'img-1-0-0-7f9c' };

/** `current`: the deployment's current build id (null: none ever chosen). */
function fakeConnection(statuses: number[], current: string | null = 'img-0-9-0-1a2b') {
  const calls = { describe: 0, promote: 0, describeDeployment: 0, conflictTokens: [] as string[] };
  const connection = {
    workflowService: {
      describeWorkerDeployment: () => {
        calls.describeDeployment++;
        return Promise.resolve({
          conflictToken: Buffer.from('token-1'),
          workerDeploymentInfo: {
            routingConfig: current
              ? {
                  currentDeploymentVersion: { deploymentName: version.deploymentName, buildId: current },
                  currentVersionChangedTime: { seconds: 1 },
                }
              : {},
          },
        });
      },
      describeWorkerDeploymentVersion: () =>
        Promise.resolve({
          workerDeploymentVersionInfo: { status: statuses[Math.min(calls.describe++, statuses.length - 1)] },
        }),
      setWorkerDeploymentCurrentVersion: (request: { conflictToken?: Uint8Array }) => {
        calls.promote++;
        if (request.conflictToken) calls.conflictTokens.push(Buffer.from(request.conflictToken).toString());
        return Promise.resolve({});
      },
    },
  } as unknown as NativeConnection;
  return { connection, calls };
}

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (message: string): void => {
      lines.push({ level, message });
    };
  const log = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    log: at('log'),
  };
  return { log: log as unknown as Logger, lines };
}

async function watch(
  managedBy: 'self' | 'worker-controller',
  promote = false,
  current: string | null = 'img-0-9-0-1a2b',
) {
  // temporal.api.enums.v1.WorkerDeploymentVersionStatus: 1 inactive, 5 drained.
  const { connection, calls } = fakeConnection([1, 5], current);
  const { log, lines } = recordingLogger();
  const seen: string[] = [];
  const watcher = watchVersion({
    connection,
    namespace: 'default',
    version,
    promote,
    managedBy,
    log,
    everyMs: 5,
    onStatus: (status) => seen.push(status),
  });
  await expect.poll(() => seen.includes('drained')).toBe(true);
  watcher.stop();
  return { lines, calls };
}

describe('the version watch', () => {
  it('under the Worker Controller: never promotes, and says the controller promotes and sunsets', async () => {
    const { lines, calls } = await watch('worker-controller', false, null);
    expect(calls.promote).toBe(0);
    expect(calls.describeDeployment).toBe(0);
    const text = lines.map((l) => `${l.level} ${l.message}`).join('\n');
    expect(text).toContain(
      'info worker version tdg/tdg-worker.img-1-0-0-7f9c is not current yet: the Worker Controller promotes it',
    );
    expect(text).toMatch(/warn .* is drained: .*the Worker Controller scales it down \(sunset\)/);
    expect(text).not.toContain('set-current-version');
    expect(text).not.toContain('stop this worker');
  });

  it('elsewhere: names the temporal command to promote it, and says to stop a drained worker', async () => {
    const { lines, calls } = await watch('self');
    expect(calls.promote).toBe(0);
    const text = lines.map((l) => `${l.level} ${l.message}`).join('\n');
    expect(text).toMatch(
      /warn .* is not current: .*set-current-version --deployment-name tdg\/tdg-worker --build-id img-1-0-0-7f9c/,
    );
    expect(text).toMatch(/warn .* is drained: .*stop this worker/);
  });

  it('makes itself current when its deployment has no current version, guarded by the read’s conflict token', async () => {
    const { lines, calls } = await watch('self', false, null);
    expect(calls.promote).toBe(1);
    expect(calls.conflictTokens).toEqual(['token-1']);
    const text = lines.map((l) => `${l.level} ${l.message}`).join('\n');
    expect(text).toMatch(
      /^info made worker version tdg\/tdg-worker\.img-1-0-0-7f9c current: deployment tdg\/tdg-worker had no current version/m,
    );
  });

  it('promotes itself when told to (compose, npm run cluster)', async () => {
    const { calls } = await watch('self', true);
    expect(calls.promote).toBe(1);
  });
});
