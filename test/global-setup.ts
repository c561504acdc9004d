import type { TestProject } from 'vitest/node';
import { startDevServer, type DevServer } from '../tooling/stack/dev-server.js';
import { findBinary, TEMPORAL_TEST_SERVER } from '../tooling/stack/temporal-binaries.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    timeSkippingServerPath: string;
  }
}

let server: DevServer | undefined;

/** One real dev server for the whole run; tests isolate themselves by task queue and workflow id. */
export async function setup(project: TestProject): Promise<void> {
  server = await startDevServer({ uiPort: null });
  project.provide('temporalAddress', server.address);
  project.provide('timeSkippingServerPath', findBinary(TEMPORAL_TEST_SERVER) ?? '');
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
