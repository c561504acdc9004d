import type { TestProject } from 'vitest/node';
import { startStack, type Stack } from '../tooling/stack/launcher.js';
import { findBinary, TEMPORAL_TEST_SERVER } from '../tooling/stack/temporal-binaries.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    timeSkippingServerPath: string;
  }
}

let stack: Stack | undefined;

/**
 * One real dev server for the whole run, started by the stack launcher (engine only: each test
 * file starts its own client and simulator); tests isolate themselves by task queue and workflow id.
 */
export async function setup(project: TestProject): Promise<void> {
  stack = await startStack({ temporal: { devServer: { uiPort: null } } });
  project.provide('temporalAddress', stack.engine.address);
  project.provide('timeSkippingServerPath', findBinary(TEMPORAL_TEST_SERVER) ?? '');
}

export async function teardown(): Promise<void> {
  await stack?.close();
}
