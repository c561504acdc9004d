/**
 * Proof that Temporal stores no readable job data once the payload codec is on: a job runs to its
 * end on the dev server through the typed client and a worker with the codec, and what the server
 * holds — the history, the description, the visibility listing, fetched raw with no data converter
 * — contains neither the job's name nor any batch id. The same job without the codec (the negative
 * control) finds both, so the search is known to work. The search attributes stay readable.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import { AesGcmPayloadCodec, parseCodecKeys } from '../src/platform/payload-codec.js';
import { Worker } from '@temporalio/worker';
import { workerDataConverter } from '../src/platform/data-converter.js';
import { startCodecServer } from '../src/codec-server/index.js';
import { findBinary, TEMPORAL_CLI } from '../tooling/stack/temporal-binaries.js';
import {
  runCommand,
  simulatorActivities,
  uniqueId,
  useTestStack,
  workflowBundle,
  type TemporalHandle,
} from './helpers/harness.js';
import { ENCRYPTED_NAMESPACE } from './helpers/namespaces.js';
import { FAST, jobsOf } from './helpers/workflow.js';
import {
  TdgJobError,
  TdgJobs,
  connectTdgJobs,
  createPayloadCodec,
  type EmailAppendJobResult,
} from '../src/client/index.js';
import { WORKFLOW_TYPE } from '../src/contract/definitions.js';

const { History } = proto.temporal.api.history.v1;
const { DescribeWorkflowExecutionResponse } = proto.temporal.api.workflowservice.v1;
const ExecutionInfo = proto.temporal.api.workflow.v1.WorkflowExecutionInfo;

const KEYS = `proof:${Buffer.alloc(32, 5).toString('base64')}`;
const codec = new AesGcmPayloadCodec(parseCodecKeys(KEYS));

/** Everything the server holds about one workflow, as the bytes it would store and serve. */
async function storedBytes(client: Client, workflowId: string): Promise<string> {
  const namespace = client.options.namespace;
  const service = client.workflowService;
  const chunks: Uint8Array[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await service.getWorkflowExecutionHistory({
      namespace,
      execution: { workflowId },
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    chunks.push(History.encode(page.history ?? {}).finish());
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const description = await service.describeWorkflowExecution({ namespace, execution: { workflowId } });
  chunks.push(DescribeWorkflowExecutionResponse.encode(description).finish());
  const listed = await service.listWorkflowExecutions({ namespace, query: `WorkflowId = '${workflowId}'` });
  for (const info of listed.executions ?? []) chunks.push(ExecutionInfo.encode(info).finish());
  return Buffer.concat(chunks).toString('latin1');
}

/** The size of a workflow's history as the server serves it (events, protobuf): the figure the docs cite. */
async function historyBytes(client: Client, workflowId: string): Promise<{ events: number; bytes: number }> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
  });
  return {
    events: page.history?.events?.length ?? 0,
    bytes: History.encode(page.history ?? {}).finish().length,
  };
}

const sizeLine = (label: string, sizes: { events: number; bytes: number }[]): void =>
  void process.stdout.write(
    `[history size] ${label}: completed job ${sizes[0]?.events} events, ${sizes[0]?.bytes} bytes; FAILED job ${sizes[1]?.events} events, ${sizes[1]?.bytes} bytes\n`,
  );

/** A completed job and a FAILED one, run through the typed client; what the server stores of each. */
async function runJobs(temporal: TemporalHandle, sim: Parameters<typeof simulatorActivities>[0]) {
  const jobs = jobsOf(temporal);
  const name = `Acme Corp customer list ${uniqueId('secret')} [sim duration=1s batches=3]`;
  const failedName = `Globex payroll ${uniqueId('secret')} [sim duration=1s batches=2 outcome=FAILED]`;
  return temporal.withWorker(simulatorActivities(sim), async () => {
    const started = await jobs.startJob({ name, notificationMethod: null, polling: FAST });
    const failedStart = await jobs.startJob({ name: failedName, notificationMethod: null, polling: FAST });
    const result: EmailAppendJobResult = await jobs.waitForResult(started.workflowId);
    const failure = await jobs.waitForResult(failedStart.workflowId).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(TdgJobError);
    const failedResult = (failure as TdgJobError).result;
    // Read back through the client: the codec decodes the memo, the result and the failure.
    const described = await jobs.visibleStatus(started.workflowId);
    expect(described.name).toBe(name);
    expect((failure as TdgJobError).message).toMatch(/FAILED/);
    return {
      workflowIds: [started.workflowId, failedStart.workflowId],
      secrets: [
        name.split(' [')[0]!,
        failedName.split(' [')[0]!,
        ...result.batchList,
        ...(failedResult?.batchList ?? []),
      ],
      jobIds: [result.jobId, failedResult?.jobId],
      historyBytes: [
        await historyBytes(temporal.client, started.workflowId),
        await historyBytes(temporal.client, failedStart.workflowId),
      ],
      stored:
        (await storedBytes(temporal.client, started.workflowId)) +
        (await storedBytes(temporal.client, failedStart.workflowId)),
    };
  });
}

describe('with the payload codec on', () => {
  const { temporal, sim } = useTestStack({ payloadCodec: codec });
  let encryptedRuns: string[] = [];

  it('stores neither the job name nor any batch id in plaintext, and keeps the search attributes readable', async () => {
    const { secrets, jobIds, stored, workflowIds, historyBytes: sizes } = await runJobs(temporal, sim);
    sizeLine('codec on', sizes);
    encryptedRuns = workflowIds;
    expect(secrets.length).toBeGreaterThanOrEqual(7);
    const readable = secrets.filter((secret) => stored.includes(secret));
    expect(readable).toEqual([]);
    expect(stored).toContain('binary/encrypted');
    // TdgJobId is a search attribute: plaintext by design (the Web UI and `list` search it).
    for (const jobId of jobIds) expect(stored).toContain(jobId);
  });

  it('replays the encrypted histories with the keys, and not without them', async () => {
    expect(encryptedRuns).toHaveLength(2);
    for (const workflowId of encryptedRuns) {
      const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: await workflowBundle(), dataConverter: workerDataConverter(codec) },
          history,
        ),
      ).resolves.toBeUndefined();
      await expect(
        Worker.runReplayHistory(
          { workflowBundle: await workflowBundle(), dataConverter: workerDataConverter(null) },
          history,
        ),
      ).rejects.toThrow();
    }
  });

  it('the temporal CLI reads a job through the codec server with a token, and not without', async () => {
    expect(encryptedRuns).toHaveLength(2);
    const token = 'c'.repeat(40);
    const server = await startCodecServer(
      { codec, tokens: [token], uiOrigins: ['http://localhost:8233'], namespace: ENCRYPTED_NAMESPACE },
      { port: 0, host: '127.0.0.1' },
    );
    try {
      const show = (...extra: string[]) =>
        runCommand(
          findBinary(TEMPORAL_CLI) ?? 'temporal',
          [
            'workflow',
            'show',
            '--address',
            temporal.address,
            '--namespace',
            ENCRYPTED_NAMESPACE,
            '--workflow-id',
            encryptedRuns[0]!,
            '--output',
            'json',
            '--codec-endpoint',
            server.url,
            ...extra,
          ],
          {},
        );
      // The JSON output keeps payloads as protobuf JSON does: the workflow input's bytes in base64.
      const input = (stdout: string): string => {
        const history = JSON.parse(stdout) as {
          events: { workflowExecutionStartedEventAttributes?: { input: { payloads: { data: string }[] } } }[];
        };
        const data =
          history.events[0]?.workflowExecutionStartedEventAttributes?.input.payloads[0]?.data ?? '';
        return Buffer.from(data, 'base64').toString('latin1');
      };
      const decoded = await show('--codec-auth', `Bearer ${token}`);
      expect(decoded.code, decoded.stderr).toBe(0);
      expect(input(decoded.stdout)).toContain('Acme Corp customer list');
      // No token: the codec server refuses, and nothing readable comes out.
      const refused = await show('--command-timeout', '2s');
      expect(refused.stdout + refused.stderr).not.toContain('Acme Corp customer list');
      if (refused.code === 0) expect(input(refused.stdout)).not.toContain('Acme Corp customer list');
    } finally {
      await server.close();
    }
  });

  it('the typed client reads the job with the codec given to connectTdgJobs, or from the environment', async () => {
    expect(encryptedRuns).toHaveLength(2);
    const given = await connectTdgJobs(
      { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: ENCRYPTED_NAMESPACE },
      { payloadCodec: createPayloadCodec(KEYS) },
    );
    const fromEnv = await connectTdgJobs({
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: ENCRYPTED_NAMESPACE,
      PAYLOAD_CODEC_KEYS: KEYS,
    });
    try {
      for (const jobs of [given, fromEnv]) {
        const result = await jobs.waitForResult(encryptedRuns[0]!);
        expect(result.state).toBe('COMPLETED');
        expect((await jobs.visibleStatus(encryptedRuns[0]!)).name).toMatch(/^Acme Corp customer list/);
      }
    } finally {
      await given.close();
      await fromEnv.close();
    }
  });

  it('a client without the keys is told the job data is encrypted', async () => {
    const workflowId = uniqueId('locked');
    const handle = await temporal.client.workflow.start(WORKFLOW_TYPE, {
      workflowId,
      taskQueue: uniqueId('no-worker'),
      args: [{ name: 'Acme Corp', outputFormat: 'JSON', notificationMethod: null }],
      memo: { jobName: 'Acme Corp' },
    });
    try {
      const keyless = new TdgJobs(
        new Client({ connection: temporal.connection, namespace: ENCRYPTED_NAMESPACE }),
        { taskQueue: 'q' },
      );
      const error = await keyless.visibleStatus(workflowId).then(
        () => null,
        (err: unknown) => keyless.toJobError(err, workflowId),
      );
      expect(error).toMatchObject({
        type: 'InvalidConfig',
        message: expect.stringMatching(/encrypted by the payload codec: set PAYLOAD_CODEC_KEYS/) as unknown,
      });
    } finally {
      await handle.terminate();
    }
  });
});

describe('with the payload codec off (the negative control)', () => {
  const { temporal, sim } = useTestStack();

  it('finds the job name and every batch id in what the server stores', async () => {
    const { secrets, stored, historyBytes: sizes } = await runJobs(temporal, sim);
    sizeLine('codec off', sizes);
    expect(secrets.filter((secret) => !stored.includes(secret))).toEqual([]);
  });
});
