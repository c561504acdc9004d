/**
 * The build id follows the workflow code and nothing else: the same code bundled in another
 * checkout (another absolute path, as in the image's /app) is the same Worker Deployment version.
 */
import { describe, expect, it } from 'vitest';
import { bundleWorkflows } from '../src/worker/factory.js';
import { PROJECT_ROOT } from '../src/platform/project-root.js';
import { buildIdOf, withoutSourceMap } from '../src/worker/versioning.js';

const mapOf = (sources: string[]): string =>
  `//# sourceMappingURL=data:application/json;charset=utf-8;base64,${Buffer.from(
    JSON.stringify({ version: 3, sources, mappings: 'AAAA' }),
  ).toString('base64')}`;

describe('buildIdOf', () => {
  it('ignores the inline source map, which names files by absolute path', () => {
    const code = 'exports.a = 1;\n';
    const here = buildIdOf(`${code}${mapOf(['/work/one/workflows/index.ts'])}`);
    expect(here).toMatch(/^wf-[0-9a-f]{12}$/);
    expect(buildIdOf(`${code}${mapOf(['/app/workflows/index.ts'])}`)).toBe(here);
    expect(buildIdOf(code)).toBe(here);
    expect(buildIdOf(`exports.a = 2;\n${mapOf(['/work/one/workflows/index.ts'])}`)).not.toBe(here);
  });

  it('bundles workflows/ into code that names no absolute path outside its source map', async () => {
    const { code } = await bundleWorkflows();
    expect(code).toContain('//# sourceMappingURL=data:application/json');
    const bare = withoutSourceMap(code);
    expect(bare).not.toContain('sourceMappingURL');
    expect(bare.includes(PROJECT_ROOT), `the bundle names ${PROJECT_ROOT}`).toBe(false);
    expect(buildIdOf(code)).toBe(buildIdOf(bare));
  }, 120_000);
});
