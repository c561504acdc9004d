/**
 * releases.json, which the cluster test's upgrade scenario starts from: every entry a version and
 * a commit in the history being tested, and a clone without that commit refused by name.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { assertCommitPresent, previousRelease, releases } from './cluster/release.js';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'releases-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function releasesFile(name: string, content: unknown): string {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('releases.json', () => {
  it('records each release as a version and a commit HEAD descends from', async () => {
    const all = releases();
    expect(all.map((r) => r.version)).toContain('1.0.0');
    for (const release of all) {
      await assertCommitPresent(release);
      await expect(
        run('git', ['-C', PROJECT_ROOT, 'merge-base', '--is-ancestor', release.commit, 'HEAD']),
        `${release.version} is not in HEAD's history`,
      ).resolves.toBeDefined();
    }
    expect(previousRelease()).toEqual(all.at(-1));
  });

  it('takes the newest version as the previous release, by number', () => {
    const sha = (digit: string): string => digit.repeat(40);
    const path = releasesFile('order.json', {
      releases: { '1.10.0': sha('c'), '1.9.0': sha('b'), '1.0.0': sha('a') },
    });
    expect(releases(path).map((r) => r.version)).toEqual(['1.0.0', '1.9.0', '1.10.0']);
    expect(previousRelease(path)).toEqual({ version: '1.10.0', commit: sha('c') });
  });

  it('refuses an abbreviated commit or a version that is not x.y.z', () => {
    expect(() => releases(releasesFile('short.json', { releases: { '1.0.0': '5a25ebe' } }))).toThrow(
      /"1\.0\.0": "5a25ebe" is not a version and its full commit sha/,
    );
    expect(() => releases(releasesFile('name.json', { releases: { v1: 'a'.repeat(40) } }))).toThrow(/"v1"/);
    expect(() => previousRelease(releasesFile('empty.json', { releases: {} }))).toThrow(/records no release/);
  });

  it('fails on a shallow clone without the release, naming its commit and the fix', async () => {
    const clone = join(scratch, 'shallow');
    // file://: a plain local path would ignore --depth and copy the whole history.
    await run('git', ['clone', '--quiet', '--depth', '1', `file://${PROJECT_ROOT}`, clone]);
    const release = previousRelease();
    await expect(assertCommitPresent(release, clone)).rejects.toThrow(
      `release ${release.version}'s commit ${release.commit} (releases.json) is not in this clone, which is shallow: fetch the whole history (git fetch --unshallow)`,
    );
  }, 60_000);
});
