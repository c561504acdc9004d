/**
 * The previous release's workflow code, for the cluster test's upgrade scenario. releases.json
 * names each release's commit; the product's sources at that commit come out of git into
 * .data/releases/<version>/ — git-ignored, and inside the project so that its imports resolve in
 * the project's node_modules as the current code's do — and are bundled as that release's workers
 * bundled them. Its build id is not the one the release's workers had: the bundle names modules by
 * their path from the working directory, here under .data/releases/. So it differs from the current
 * code's even where the code is the same (right after a release), and the scenario then upgrades
 * between two builds of one code.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, type WorkflowBundle } from '@temporalio/worker';

import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import { quietBundlerLogger, WORKFLOW_METRICS_PATH, WORKFLOWS_PATH } from '../../src/worker/factory.js';

const run = promisify(execFile);

export const RELEASES_PATH = join(PROJECT_ROOT, 'releases.json');

/**
 * What a release's workers were built from: the whole product rather than the files its bundle
 * imports today, so a release that imported something else still bundles.
 */
const PRODUCT = ['workflows', 'activities', 'src'];

export interface Release {
  version: string;
  /** The full sha: an abbreviated one can become ambiguous as the history grows. */
  commit: string;
}

/** Numeric collation orders 1.10.0 after 1.9.0. */
const byVersion = (a: Release, b: Release): number =>
  a.version.localeCompare(b.version, 'en', { numeric: true });

/** releases.json's releases, oldest first; throws naming any entry that is not `x.y.z` → 40 hex. */
export function releases(path: string = RELEASES_PATH): Release[] {
  const file = JSON.parse(readFileSync(path, 'utf8')) as { releases?: unknown };
  if (typeof file.releases !== 'object' || file.releases === null) {
    throw new Error(`${path}: no "releases" object`);
  }
  const out = Object.entries(file.releases).map(([version, commit]) => {
    if (!/^\d+\.\d+\.\d+$/.test(version) || typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit)) {
      throw new Error(
        `${path}: "${version}": ${JSON.stringify(commit)} is not a version and its full commit sha`,
      );
    }
    return { version, commit };
  });
  return out.sort(byVersion);
}

/** The newest recorded release: what the current code upgrades from. */
export function previousRelease(path: string = RELEASES_PATH): Release {
  const newest = releases(path).at(-1);
  if (!newest) throw new Error(`${path} records no release`);
  return newest;
}

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['-C', repo, ...args], { encoding: 'utf8' });
  return stdout;
}

/**
 * Throws unless `repo` holds the release's commit, naming it: a shallow clone (CI's usual
 * checkout) lacks it, and the upgrade must then fail rather than test nothing.
 */
export async function assertCommitPresent(release: Release, repo: string = PROJECT_ROOT): Promise<void> {
  const present = await git(repo, ['cat-file', '-e', `${release.commit}^{commit}`]).then(
    () => true,
    () => false,
  );
  if (present) return;
  const shallow = (await git(repo, ['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  const what = `release ${release.version}'s commit ${release.commit} (releases.json)`;
  throw new Error(
    shallow
      ? `${what} is not in this clone, which is shallow: fetch the whole history (git fetch --unshallow) or clone without --depth`
      : `${what} is not in this repository: fetch the branch it was released on`,
  );
}

/**
 * The release's workflow bundle: its workflows/ with its workflow interceptor module, both at the
 * paths the current worker bundles them from (a release that moved them fails here, by name).
 */
export async function releaseBundle(release: Release, repo: string = PROJECT_ROOT): Promise<WorkflowBundle> {
  await assertCommitPresent(release, repo);
  const dir = join(repo, '.data', 'releases', release.version);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, 'product.tar');
  await git(repo, ['archive', '--format=tar', `--output=${archive}`, release.commit, ...PRODUCT]);
  await run('tar', ['-xf', archive, '-C', dir]);
  rmSync(archive);
  const workflowsPath = join(dir, relative(PROJECT_ROOT, WORKFLOWS_PATH));
  const interceptor = join(dir, relative(PROJECT_ROOT, WORKFLOW_METRICS_PATH));
  for (const path of [workflowsPath, interceptor]) {
    if (!existsSync(path)) throw new Error(`release ${release.version} has no ${relative(dir, path)}`);
  }
  const { code } = await bundleWorkflowCode({
    workflowsPath,
    workflowInterceptorModules: [interceptor],
    logger: quietBundlerLogger,
  });
  return { code };
}
