/**
 * `npm run record-histories`: records real histories (completed, failed, continued-as-new)
 * from the current workflow code into test/histories/, for the replay test. Record new ones
 * BEFORE changing workflow code, so the replay test proves the change is deterministic.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer } from '../src/dev/dev-server.js';
import { findBinary, TEMPORAL_CLI } from '../src/dev/temporal-binaries.js';
import { startSimulator } from '../src/simulator/index.js';
import { WORKFLOW_TYPE, type EmailAppendJobInput } from '../src/contract/definitions.js';
import { activitiesFromConfig } from '../src/worker/activities-from-config.js';
import { createTdgWorker } from '../src/worker/factory.js';

const outDir = fileURLToPath(new URL('./histories/', import.meta.url));
const polling = {
  initialIntervalMs: 200,
  backoffFactor: 1.5,
  maxIntervalMs: 1_000,
  maxIntervalWithNotificationsMs: 2_000,
};
const cases: Record<string, EmailAppendJobInput> = {
  completed: { name: 'History completed [sim duration=1500ms batches=3]', polling },
  failed: { name: 'History failed [sim duration=1s batches=3 outcome=FAILED]', polling },
  'continued-as-new': {
    name: 'History continued [sim duration=3s batches=2]',
    polling: { initialIntervalMs: 150, backoffFactor: 1, maxIntervalMs: 150, jitter: 0 },
    continueAsNewAfterEvents: 40,
  },
};

const server = await startDevServer({ uiPort: null });
const sim = await startSimulator(
  { apiKey: 'history-key', username: 'history', password: 'history-password', seed: 1 },
  { port: 0, host: '127.0.0.1' },
);
try {
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const worker = await createTdgWorker({
    connection: await NativeConnection.connect({ address: server.address }),
    namespace: 'default',
    taskQueue: 'record-histories',
    activities: activitiesFromConfig(
      {
        baseUrl: sim.url,
        apiVersion: 'v3',
        apiKey: 'history-key',
        auth: { kind: 'password', username: 'history', password: 'history-password', tokenTtlMs: 3_600_000 },
        requestTimeoutMs: 5_000,
      },
      null,
    ),
  });
  await worker.runUntil(async () => {
    for (const [label, input] of Object.entries(cases)) {
      const handle = await client.workflow.start(WORKFLOW_TYPE, {
        workflowId: `history-${label}`,
        taskQueue: 'record-histories',
        args: [input],
      });
      await handle.result().catch(() => undefined);
      // The first run: for continued-as-new it ends in the ContinuedAsNew event, the interesting part.
      // `temporal workflow show --output json` writes the format historyFromJSON reads back.
      const json = execFileSync(
        findBinary(TEMPORAL_CLI) ?? 'temporal',
        [
          'workflow',
          'show',
          '--address',
          server.address,
          '--workflow-id',
          handle.workflowId,
          '--run-id',
          handle.firstExecutionRunId,
          '--output',
          'json',
        ],
        { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      );
      writeFileSync(`${outDir}${label}.json`, json);
      const history = JSON.parse(json) as { events?: unknown[] };
      process.stdout.write(`recorded ${label}: ${history.events?.length ?? 0} events\n`);
    }
  });
  await connection.close();
} finally {
  await sim.close();
  await server.stop();
}
