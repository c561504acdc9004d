/** What the static checks compare documented commands with, read from the project itself. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_NAMES, COMMAND_OPTIONS, type CommandName } from '../../src/cli/args.js';
import { PROJECT_ROOT } from '../../src/platform/project-root.js';
import type { ProjectFacts } from './static-check.js';

/**
 * Variables the docs may name that no configuration of ours reads, each owned by a documented
 * tool: the shell's own, Node's, and the Temporal CLI's codec settings (docs/security.md).
 */
export const STANDARD_ENV_NAMES = [
  'PWD',
  'HOME',
  'PATH',
  'NODE_OPTIONS',
  'NODE_EXTRA_CA_CERTS',
  'TEMPORAL_CODEC_ENDPOINT',
  'TEMPORAL_CODEC_AUTH',
] as const;

/** The files that read configuration: the env schemas, each component's config, the dev stack's. */
function configSources(): string[] {
  const inFolder = (folder: string, keep: (name: string) => boolean): string[] =>
    readdirSync(join(PROJECT_ROOT, folder))
      .filter((name) => name.endsWith('.ts') && keep(name))
      .map((name) => join(folder, name));
  return [
    ...inFolder('src/platform/env', () => true),
    ...readdirSync(join(PROJECT_ROOT, 'src'))
      .map((folder) => join('src', folder, 'config.ts'))
      .filter((path) => existsSync(join(PROJECT_ROOT, path))),
    'src/platform/log.ts',
    'tooling/simulator/config.ts',
    ...inFolder('tooling/stack', () => true),
  ];
}

/**
 * Names a configuration reads: schema keys (`NAME:`), `env.NAME`, `env['NAME']` and quoted names in
 * the config sources, and every `NAME=` of `.env.example` (the documented list, compose's included).
 */
export function knownEnvNames(): Set<string> {
  const names = new Set<string>(STANDARD_ENV_NAMES);
  const NAME = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+';
  const patterns = [
    new RegExp(`\\b(${NAME})\\s*:`, 'g'),
    new RegExp(`env\\.(${NAME})\\b`, 'g'),
    new RegExp(`['"\`](${NAME})['"\`]`, 'g'),
  ];
  for (const file of configSources()) {
    const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) names.add(m[1] ?? '');
  }
  const example = readFileSync(join(PROJECT_ROOT, '.env.example'), 'utf8');
  for (const m of example.matchAll(new RegExp(`^#?\\s*(${NAME})=`, 'gm'))) names.add(m[1] ?? '');
  names.delete('');
  return names;
}

export function projectFacts(): ProjectFacts {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const jobCommands = new Map<string, readonly string[]>();
  for (const name of COMMAND_NAMES) {
    const canonical = name === 'notify' ? 'check' : name;
    jobCommands.set(name, COMMAND_OPTIONS[canonical as CommandName] ?? []);
  }
  return {
    scripts: new Set(Object.keys(pkg.scripts)),
    jobCommands,
    setupOptions: [],
    envNames: knownEnvNames(),
  };
}
