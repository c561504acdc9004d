import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { workflowBundle } from './helpers/harness.js';

const dir = fileURLToPath(new URL('./histories/', import.meta.url));
// The top level holds the current code's runs; each subfolder those of code before a patched change.
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'));
const folders = [...new Set(files.map((f) => dirname(f)))];

describe('committed histories replay against the current workflow code', () => {
  it.each(folders)('%s has the completed, failed and continued-as-new histories', (folder) => {
    const names = files.filter((f) => dirname(f) === folder).map((f) => basename(f));
    expect(names.sort()).toEqual(['completed.json', 'continued-as-new.json', 'failed.json']);
  });

  it.each(files)('%s replays without nondeterminism', async (file) => {
    const history = historyFromJSON(JSON.parse(readFileSync(`${dir}${file}`, 'utf8')));
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file),
    ).resolves.toBeUndefined();
  });
});
