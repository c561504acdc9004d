/** `npm run bench`'s engine choice: `--engine dev|cluster` and `--servers N`. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { UsageError } from '../tooling/bench/lib/args.js';
import { engineFlags } from '../tooling/bench/lib/engine.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';

describe('npm run bench --engine', () => {
  it('defaults to the dev server; the cluster takes --servers', () => {
    expect(engineFlags(undefined, undefined)).toEqual({ engine: 'dev', servers: 1 });
    expect(engineFlags('dev', undefined)).toEqual({ engine: 'dev', servers: 1 });
    expect(engineFlags('cluster', undefined)).toEqual({ engine: 'cluster', servers: 1 });
    expect(engineFlags('cluster', '3')).toEqual({ engine: 'cluster', servers: 3 });
  });

  it('rejects bad values with one line naming the problem', () => {
    const problem = (engine: string | undefined, servers?: string): string => {
      try {
        engineFlags(engine, servers);
      } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(problem('postgres')).toBe('--engine must be dev or cluster, got "postgres"');
    expect(problem('')).toBe('--engine must be dev or cluster, got ""');
    expect(problem('dev', '2')).toBe('--servers needs --engine cluster');
    expect(problem(undefined, '2')).toBe('--servers needs --engine cluster');
    expect(problem('cluster', '0')).toBe('--servers must be an integer from 1 to 9, got "0"');
    expect(problem('cluster', 'two')).toBe('--servers must be an integer from 1 to 9, got "two"');
  });

  it('the script prints one line and exits 2 before starting anything', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', join(PROJECT_ROOT, 'tooling', 'bench', 'benchmark.ts'), '--engine', 'docker'],
      { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: --engine must be dev or cluster, got "docker" (--help for usage)\n');
  });
});
