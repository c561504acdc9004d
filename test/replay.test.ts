import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleWorkflowCode, Worker, type WorkflowBundle } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { workflowBundle } from './helpers/harness.js';
import { payloadCodecFor, workerDataConverter } from '../src/platform/data-converter.js';
import { loadClientConfig } from '../src/platform/env/temporal.js';

const dir = join(PROJECT_ROOT, 'test', 'histories');
// One history per path of the current code. A workflow change ships as a new Worker Deployment
// version, so no code ever replays another version's histories: these are re-recorded with it.
const files = readdirSync(dir, { encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
const historyOf = (file: string) => historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
/**
 * Replay decodes with the keys the workers have: PAYLOAD_CODEC_KEYS / PAYLOAD_CODEC_KEYS_FILE from
 * the environment, as every process reads them. The committed histories are plain JSON, which the
 * codec passes through, so they replay with the codec on or off.
 */
const dataConverter = workerDataConverter(payloadCodecFor(loadClientConfig().codecKeys));

/** Every path the workflow has, recorded from the current code by `npm run record-histories`. */
const CURRENT_PATHS = [
  'cancelled.json',
  'check-now-preempts.json',
  'completed.json',
  'continued-as-new-run-2.json',
  'continued-as-new.json',
  'create-outcome-unknown.json',
  'create-refused.json',
  'credential-wait.json',
  'deadline-exceeded.json',
  'failed.json',
  'get-job-outage.json',
  'hint-burst.json',
  'notification-first.json',
  'signal-and-updates.json',
  'terminal-hint-follow-up.json',
];

let changedBundle: Promise<WorkflowBundle> | undefined;

describe('committed histories replay against the current workflow code', () => {
  it('the top level covers every path of the current code', () => {
    expect(files.sort()).toEqual(CURRENT_PATHS);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: await workflowBundle(), dataConverter },
        historyOf(file),
        file,
      ),
    ).resolves.toBeUndefined();
  });

  // Negative control: the same histories against a deliberately changed workflow must fail.
  it.each(CURRENT_PATHS)('%s fails to replay against a changed workflow', async (file) => {
    changedBundle ??= bundleWorkflowCode({
      workflowsPath: join(PROJECT_ROOT, 'test', 'fixtures', 'changed-workflow.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    await expect(
      Worker.runReplayHistory({ workflowBundle: await changedBundle }, historyOf(file), file),
    ).rejects.toMatchObject({
      name: 'DeterminismViolationError',
      message: expect.stringMatching(/Nondeterminism/) as unknown,
    });
  });
});
