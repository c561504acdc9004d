/**
 * What a worker says about its version: under the Temporal Worker Controller it points at the
 * controller (which promotes and retires versions), elsewhere at the `temporal` command an operator
 * runs. A fake connection answers describeWorkerDeploymentVersion; no server is needed.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { watchVersion } from '../src/worker/version-watch.js';

const version = { deploymentName: 'tdg/tdg-worker', buildId: 'img-1-0-0-7f9c' };

function fakeConnection(statuses: number[]) {
  const calls = { describe: 0, promote: 0 };
  const connection = {
    workflowService: {
      describeWorkerDeploymentVersion: () =>
        Promise.resolve({
          workerDeploymentVersionInfo: { status: statuses[Math.min(calls.describe++, statuses.length - 1)] },
        }),
      setWorkerDeploymentCurrentVersion: () => {
        calls.promote++;
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

async function watch(managedBy: 'self' | 'worker-controller', promote = false) {
  // temporal.api.enums.v1.WorkerDeploymentVersionStatus: 1 inactive, 5 drained.
  const { connection, calls } = fakeConnection([1, 5]);
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
    const { lines, calls } = await watch('worker-controller');
    expect(calls.promote).toBe(0);
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

  it('promotes itself when told to (compose, npm run cluster)', async () => {
    const { calls } = await watch('self', true);
    expect(calls.promote).toBe(1);
  });
});
