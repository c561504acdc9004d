/**
 * `npm run example:nexus`: docs/nexus.md's caller, run as another team would run it, against the
 * stack `npm run dev` or `npm run cluster` keeps up (their namespace `tdg-caller`, our endpoint).
 * Connection settings as for the CLI (TEMPORAL_ADDRESS, TEMPORAL_TLS_*…); the namespace is the
 * caller's. Prints the outcome as JSON; exit 0 COMPLETED, 1 any other outcome, 2 usage.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { DEFAULT_NEXUS_ENDPOINT } from '../../src/contract/nexus-service.js';
import { payloadCodecFor } from '../../src/platform/data-converter.js';
import { loadClientConfig } from '../../src/platform/env/temporal.js';
import { connectClient, connectionOptions } from '../../src/platform/temporal-connection.js';
import { runMain } from '../../src/platform/process.js';
import { CALLER_NAMESPACE, CALLER_TASK_QUEUE, createCallerWorker } from './worker.js';
import type { appendViaNexus } from './workflows.js';

const USAGE = `usage: npm run example:nexus -- [--name "<TDG job name>"] [--key <business key>]
  runs appendViaNexus (tooling/nexus-caller/workflows.ts) in namespace ${CALLER_NAMESPACE} through the
  Nexus endpoint NEXUS_ENDPOINT (default ${DEFAULT_NEXUS_ENDPOINT}) and prints its outcome`;

async function main(): Promise<number> {
  let values: { name?: string | undefined; key?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      options: { name: { type: 'string' }, key: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const config = loadClientConfig({ ...process.env, TEMPORAL_NAMESPACE: CALLER_NAMESPACE });
  const codec = payloadCodecFor(config.codecKeys);
  // Errors only: a caller worker without activities warns that it polls none.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const [connection, { client, connection: clientConnection }] = await Promise.all([
    NativeConnection.connect(connectionOptions(config)),
    connectClient(config),
  ]);
  try {
    const worker = await createCallerWorker({ connection, payloadCodec: codec });
    const businessKey = values.key ?? `nexus-example-${randomUUID().slice(0, 8)}`;
    const outcome = await worker.runUntil(
      client.workflow.execute<typeof appendViaNexus>('appendViaNexus', {
        taskQueue: CALLER_TASK_QUEUE,
        workflowId: `caller-${businessKey}`,
        args: [
          {
            endpoint: process.env.NEXUS_ENDPOINT || DEFAULT_NEXUS_ENDPOINT,
            businessKey,
            name: values.name ?? 'Nexus example [sim duration=5s batches=3]',
          },
        ],
      }),
    );
    process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
    return outcome.outcome === 'COMPLETED' ? 0 : 1;
  } finally {
    await connection.close();
    await clientConnection.close();
  }
}

runMain('example:nexus', main);
