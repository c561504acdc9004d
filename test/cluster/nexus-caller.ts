/**
 * Another team's side on the cluster: its worker and client in the callers' namespace, over the
 * stack's mutual TLS, decoding our results with the stack's codec keys (docs/nexus.md).
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { DEFAULT_NEXUS_ENDPOINT } from '../../src/contract/nexus-service.js';
import { clientDataConverter, payloadCodecFor } from '../../src/platform/data-converter.js';
import { payloadCodecSection } from '../../src/platform/env/codec.js';
import { clusterConnectionOptions, type ClusterState } from '../../tooling/cluster/stack.js';
import {
  CALLER_NAMESPACE,
  CALLER_TASK_QUEUE,
  createCallerWorker,
} from '../../tooling/nexus-caller/worker.js';
import type { appendViaNexus, AppendOutcome } from '../../tooling/nexus-caller/workflows.js';

export async function runJobThroughNexus(
  state: ClusterState,
  keysFile: string,
  job: { businessKey: string; name: string },
): Promise<{ outcome: AppendOutcome; ms: number }> {
  const codec = payloadCodecFor(payloadCodecSection.parse({ PAYLOAD_CODEC_KEYS_FILE: keysFile }));
  const native = await NativeConnection.connect(clusterConnectionOptions(state));
  const connection = await Connection.connect(clusterConnectionOptions(state));
  try {
    const worker = await createCallerWorker({ connection: native, payloadCodec: codec });
    const client = new Client({
      connection,
      namespace: CALLER_NAMESPACE,
      dataConverter: clientDataConverter(codec),
    });
    const started = Date.now();
    const outcome = await worker.runUntil(
      client.workflow.execute<typeof appendViaNexus>('appendViaNexus', {
        taskQueue: CALLER_TASK_QUEUE,
        workflowId: `caller-${job.businessKey}`,
        args: [{ endpoint: DEFAULT_NEXUS_ENDPOINT, ...job }],
      }),
    );
    return { outcome, ms: Date.now() - started };
  } finally {
    await connection.close();
    await native.close();
  }
}
