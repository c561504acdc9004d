import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startStack, type Stack } from '../tooling/stack/launcher.js';
import { findBinary, TEMPORAL_TEST_SERVER } from '../tooling/stack/temporal-binaries.js';
import { bundleWorkflows } from '../src/worker/factory.js';
import { ENCRYPTED_NAMESPACE } from './helpers/namespaces.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    timeSkippingServerPath: string;
    /** The workflow bundle built once for the run (test/helpers/harness.ts `workflowBundle`). */
    workflowBundlePath: string;
  }
}

let stack: Stack | undefined;
let bundleDir: string | undefined;

/**
 * One real dev server for the whole run, started by the stack launcher (engine only: each test
 * file starts its own client and simulator); tests isolate themselves by task queue and workflow id,
 * and jobs with encrypted data live in a namespace of their own (a keyless `list` cannot read them).
 * The workflow bundle is built once too, beside it, and every test file's workers load that one.
 */
export async function setup(project: TestProject): Promise<void> {
  const bundled = (async () => {
    const { code } = await bundleWorkflows();
    bundleDir = await mkdtemp(join(tmpdir(), 'tdg-test-bundle-'));
    const path = join(bundleDir, 'workflow-bundle.js');
    await writeFile(path, code);
    return path;
  })();
  stack = await startStack({
    temporal: { devServer: { uiPort: null, extraNamespaces: [ENCRYPTED_NAMESPACE] } },
  });
  project.provide('temporalAddress', stack.engine.address);
  project.provide('timeSkippingServerPath', findBinary(TEMPORAL_TEST_SERVER) ?? '');
  project.provide('workflowBundlePath', await bundled);
}

export async function teardown(): Promise<void> {
  await stack?.close();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
}
