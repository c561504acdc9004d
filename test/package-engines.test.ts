/**
 * What the application says it runs on (package.json `engines`, the image's Node) and what its
 * production dependencies ask for agree, so `npm ci` stays quiet (no EBADENGINE) and nothing that
 * runs in the image needs a newer Node. Development tools (eslint, vite) are not checked: they run
 * only where the toolchain does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/platform/project-root.js';

type Version = [number, number, number];

function parse(version: string): Version {
  const [major = 0, minor = 0, patch = 0] = version.trim().replace(/^v/, '').split('.').map(Number);
  return [major, minor, patch];
}

const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The subset of npm's ranges engines use: `>=X`, `^X`, `X`, joined by `||` (and spaces, AND). */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .replace(/(>=|\^)\s+/g, '$1')
      .split(/\s+/)
      .every((comparator) => {
        const [, op = '', bound = ''] = /^(>=|\^|)(.+)$/.exec(comparator) ?? [];
        const b = parse(bound);
        if (op === '>=') return compare(v, b) >= 0;
        if (op === '^') return v[0] === b[0] && compare(v, b) >= 0;
        return compare(v, b) === 0;
      }),
  );
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(join(PROJECT_ROOT, file), 'utf8')) as T;

describe('Node versions', () => {
  const pkg = readJson<{ engines: { node: string } }>('package.json');
  const lock = readJson<{
    packages: Record<string, { version?: string; dev?: boolean; engines?: { node?: string } }>;
  }>('package-lock.json');
  const lowest = /^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
  const image = /^ARG NODE_IMAGE=node:(\d+\.\d+\.\d+)/m.exec(
    readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'),
  )?.[1];

  it('reads the ranges npm writes', () => {
    expect(satisfies('20.3.0', '>= 20.3.0')).toBe(true);
    expect(satisfies('20.20.2', '>=22')).toBe(false);
    expect(satisfies('20.9.1', '^18.18.0 || ^20.9.0 || >=21.1.0')).toBe(true);
    expect(satisfies('20.3.0', '^20.19.0 || ^22.13.0 || >=24')).toBe(false);
  });

  it("every production dependency runs on the lowest Node package.json allows and on the image's", () => {
    expect(lowest).toBeDefined();
    expect(image).toBeDefined();
    const refusing = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && !entry.dev && entry.engines?.node !== undefined)
      .flatMap(([path, entry]) =>
        [lowest!, image!]
          .filter((node) => !satisfies(node, entry.engines!.node!))
          .map((node) => `${path}@${entry.version} wants node ${entry.engines!.node} (not ${node})`),
      );
    expect(refusing).toEqual([]);
  });
});
