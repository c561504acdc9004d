/** The README's client example, run as written against the dev server, the simulator and a worker. */
import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import {
  connectTemporal,
  runSimulator,
  simulatorActivities,
  uniqueId,
  type SimulatorHandle,
  type TemporalHandle,
} from './helpers/harness.js';

const run = promisify(execFile);

let temporal: TemporalHandle;
let sim: SimulatorHandle;

beforeAll(async () => {
  temporal = await connectTemporal();
  // The example's job has no [sim] tag: a short default keeps the test quick.
  sim = await runSimulator({ defaults: { durationMs: 1_500, batches: 3, outcome: 'COMPLETED' } });
});

afterAll(async () => {
  await sim?.close();
  await temporal?.close();
});

async function readmeExample(): Promise<string> {
  const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
  const block = /<!-- client example[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no client example block');
  return block;
}

describe('the README client example', () => {
  it('is at most ten lines and imports only the package export', async () => {
    const code = await readmeExample();
    expect(code.trim().split('\n').length).toBeLessThanOrEqual(10);
    expect(code).toMatch(/from 'tdg-email-append\/client'/);
  });

  it('runs as written: prints the job id, then the batch count', async () => {
    // Inside the package, so the self-reference `tdg-email-append/client` resolves through `exports`.
    const dir = join(PROJECT_ROOT, '.data', uniqueId('readme-example'));
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'example.mts');
    await writeFile(file, await readmeExample());
    try {
      await temporal.withWorker(simulatorActivities(sim), async () => {
        const { stdout, stderr } = await run(
          process.execPath,
          ['--conditions=development', '--import', 'tsx', file],
          {
            cwd: PROJECT_ROOT,
            env: {
              ...process.env,
              TEMPORAL_ADDRESS: temporal.address,
              TEMPORAL_NAMESPACE: 'default',
              TEMPORAL_TASK_QUEUE: temporal.taskQueue,
            },
            timeout: 90_000,
          },
        );
        expect(stderr).toBe('');
        expect(stdout).toMatch(/^TDG job [0-9a-f]{15}: attach its batches now\nCOMPLETED with 3 batches\n$/);
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
