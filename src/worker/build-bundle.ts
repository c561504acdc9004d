/** Writes the prebuilt workflow bundle that production workers load (no webpack at start-up). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { bundleWorkflows, PREBUILT_BUNDLE_PATH } from './factory.js';

export async function writeWorkflowBundle(): Promise<void> {
  const { code } = await bundleWorkflows();
  mkdirSync(dirname(PREBUILT_BUNDLE_PATH), { recursive: true });
  // Write then rename: a worker starting meanwhile never reads half a bundle.
  const partial = `${PREBUILT_BUNDLE_PATH}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, PREBUILT_BUNDLE_PATH);
  process.stdout.write(
    `workflow bundle written to ${PREBUILT_BUNDLE_PATH} (${Math.round(code.length / 1024)} KiB)\n`,
  );
}
