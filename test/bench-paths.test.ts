/**
 * The bench's folders from a checkout whose path contains a space: a module's URL has `%20` there,
 * and `URL.pathname` once kept it, so results went to a folder named `my%20projects`.
 */
import { join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pathFromModule, RESULTS_DIR } from '../tooling/bench/lib/paths.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';

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
});
