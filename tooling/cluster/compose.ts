/**
 * docker-compose.yml as the single source of the stack's shared pieces: the native run reads each
 * service's environment, entrypoint script and mounted files from it, so the two cannot drift.
 * Only what a container gets from Docker itself is replaced, each by an explicit override:
 * service host names become 127.0.0.1, container paths become the host paths they mount,
 * and container ports become this machine's ports.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { PROJECT_ROOT } from '../../src/platform/project-root.js';

export interface ComposeService {
  image?: string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  entrypoint?: string[];
  command?: string[];
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export const COMPOSE_PATH = join(PROJECT_ROOT, 'docker-compose.yml');

export function readCompose(path = COMPOSE_PATH): ComposeFile {
  const parsed = parseYaml(readFileSync(path, 'utf8'), { merge: true }) as ComposeFile | null;
  if (!parsed?.services) throw new Error(`${path}: no services`);
  return parsed;
}

export function composeService(compose: ComposeFile, name: string): ComposeService {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** The tag of a service's image, e.g. 1.31.2 for temporalio/server:1.31.2. */
export function imageTag(service: ComposeService): string {
  const tag = /:([^:/]+)$/.exec(service.image ?? '')?.[1];
  if (!tag) throw new Error(`image "${service.image ?? ''}" has no tag`);
  return tag;
}

/**
 * Compose interpolation of one value: `${NAME}`, `${NAME:-default}`, `${NAME-default}`,
 * `${NAME:?message}` and `$$`. Empty counts as unset for `:-` and `:?`, as in compose.
 */
export function interpolate(value: string, vars: Readonly<Record<string, string | undefined>>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (whole === '$$') return '$';
      const current = vars[name ?? ''];
      const unset = op?.startsWith(':') ? !current : current === undefined;
      if (op?.endsWith('-')) return unset ? (arg ?? '') : (current ?? '');
      if (op?.endsWith('?')) {
        if (unset) throw new Error(`${name}: ${arg || 'required'}`);
        return current ?? '';
      }
      return current ?? '';
    },
  );
}

/**
 * A service's environment as compose would pass it (interpolated from `vars`), with `overrides`
 * replacing container-only values. An override must name a variable the service sets, so a
 * renamed variable in docker-compose.yml fails here instead of silently going missing.
 */
export function serviceEnvironment(
  service: ComposeService,
  vars: Readonly<Record<string, string | undefined>>,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(service.environment ?? {})) {
    out[key] = interpolate(value === null ? '' : String(value), vars);
  }
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in out)) {
      throw new Error(`docker-compose.yml no longer sets ${key} for image ${service.image ?? '(built)'}`);
    }
    out[key] = value;
  }
  return out;
}

/** The host path behind a container path, through the service's bind mounts (`./src:/dst[:ro]`). */
export function hostPath(service: ComposeService, containerPath: string): string {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    if (!source || !target || !(source.startsWith('.') || isAbsolute(source))) continue;
    const base = isAbsolute(source) ? source : join(PROJECT_ROOT, source);
    if (containerPath === target) return base;
    const rel = posix.relative(target, containerPath);
    if (!rel.startsWith('..') && !posix.isAbsolute(rel)) return join(base, rel);
  }
  throw new Error(`no bind mount of docker-compose.yml holds ${containerPath}`);
}

/**
 * A path inside one of the service's named volumes (`tls:/tls:ro` → `/tls/ca.pem`) as the same path
 * in the host folder that holds that volume natively (`volumes.tls`); anything else unchanged.
 */
export function volumePath(
  service: ComposeService,
  value: string,
  volumes: Readonly<Record<string, string>>,
): string {
  for (const volume of service.volumes ?? []) {
    const [source, target] = volume.split(':');
    const host = source === undefined ? undefined : volumes[source];
    if (host === undefined || !target) continue;
    if (value === target || value.startsWith(`${target}/`)) return host + value.slice(target.length);
  }
  return value;
}

/** Every value of `env` through volumePath. */
export function withVolumePaths(
  service: ComposeService,
  env: Record<string, string>,
  volumes: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, volumePath(service, value, volumes)]),
  );
}

/** `entrypoint: ['/bin/sh', '/deploy/x.sh']` → the host path of x.sh. */
export function entrypointScript(service: ComposeService): string {
  const [shell, script] = service.entrypoint ?? [];
  if (shell !== '/bin/sh' || !script) {
    throw new Error(`expected entrypoint ['/bin/sh', script], got ${JSON.stringify(service.entrypoint)}`);
  }
  return hostPath(service, script);
}
