/**
 * The bench's folders: paths from a checkout whose path contains a space (a module's URL has `%20`
 * there, and `URL.pathname` once kept it, so results went to a folder named `my%20projects`), and
 * what the repository carries — the summaries the docs cite, never a run's raw per-job data.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pathFromModule, RAW_DIR, rawOutputDir, RESULTS_DIR } from '../tooling/bench/lib/paths.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';

const git = (...args: string[]): string => execFileSync('git', args, { cwd: PROJECT_ROOT, encoding: 'utf8' });
const committedResults = (): string[] =>
  git('ls-files', '-z', 'tooling/bench/results').split('\0').filter(Boolean);

describe('bench paths', () => {
  it('resolves tooling/bench/results/ from a file URL with %20 to the path with its space', () => {
    const moduleUrl = pathToFileURL(
      join(sep, 'tmp', 'my projects', 'tdg', 'tooling', 'bench', 'lib', 'paths.ts'),
    ).href;
    expect(moduleUrl).toContain('/my%20projects/');
    expect(pathFromModule(moduleUrl, '../results/')).toBe(
      join(sep, 'tmp', 'my projects', 'tdg', 'tooling', 'bench', 'results') + sep,
    );
  });

  it('puts RESULTS_DIR in this checkout', () => {
    expect(RESULTS_DIR).toBe(join(PROJECT_ROOT, 'tooling', 'bench', 'results') + sep);
  });

  it('sends a full run’s raw data to .data/bench/, which git ignores, and a --out run’s next to it', () => {
    expect(RAW_DIR).toBe(join(PROJECT_ROOT, '.data', 'bench') + sep);
    expect(rawOutputDir(RESULTS_DIR)).toBe(RAW_DIR);
    expect(git('check-ignore', join(RAW_DIR, 'scale-5000.samples.json')).trim()).not.toBe('');
    const out = join(tmpdir(), 'tdg-bench-out');
    expect(rawOutputDir(out)).toBe(out);
  });
});

describe('the committed bench results', () => {
  it('total at most 1 MB', () => {
    const bytes = committedResults().reduce((sum, f) => sum + statSync(join(PROJECT_ROOT, f)).size, 0);
    expect(bytes).toBeLessThanOrEqual(1024 * 1024);
  });

  it('hold no per-job samples and no PNG copies of the charts', () => {
    const files = committedResults();
    expect(files.filter((f) => f.endsWith('.png'))).toEqual([]);
    const withSamples = files
      .filter((f) => f.endsWith('.json'))
      .filter((f) => {
        const data: unknown = JSON.parse(readFileSync(join(PROJECT_ROOT, f), 'utf8'));
        return typeof data === 'object' && data !== null && 'samples' in data;
      });
    expect(withSamples).toEqual([]);
  });

  it('hold every file the docs and the summaries link to', () => {
    const committed = new Set(committedResults().map((f) => resolve(PROJECT_ROOT, f)));
    const citing = ['docs/BENCHMARKS.md', ...committedResults().filter((f) => f.endsWith('.md'))];
    const missing: string[] = [];
    for (const doc of citing) {
      const text = readFileSync(join(PROJECT_ROOT, doc), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)\)/g)) {
        if (target === undefined || /^[a-z]+:/.test(target)) continue;
        const file = resolve(PROJECT_ROOT, dirname(doc), target);
        if (!file.startsWith(RESULTS_DIR) && !target.includes('bench/results/')) continue;
        if (!committed.has(file)) missing.push(`${doc} → ${target}`);
      }
      // Paths named in backquotes, e.g. `tooling/bench/results/chaos.md`.
      for (const [, named] of text.matchAll(/`(tooling\/bench\/results\/[\w./-]+\.(?:md|json|svg))`/g)) {
        if (named !== undefined && !committed.has(resolve(PROJECT_ROOT, named)))
          missing.push(`${doc} → ${named}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
