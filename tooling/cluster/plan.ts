/**
 * What the native run changes in docker-compose.yml's services, in one place: every other value of
 * their environment is passed as compose would pass it. A container gets host names, mounted
 * paths and container ports from Docker; natively those become 127.0.0.1, the mounted host paths
 * and this machine's ports; paths inside a named volume (the certificates' `tls`) become the same
 * paths in the folder that holds the volume natively (NativeContext.volumes).
 * deployment.test.ts checks the two stay the same otherwise.
 */
import {
  composeService,
  hostPath,
  serviceEnvironment,
  withVolumePaths,
  type ComposeFile,
} from './compose.js';
import type { NodePorts } from './ports.js';

/** Per compose service: the variables the native run replaces, and why. */
export const NATIVE_OVERRIDES = {
  'temporal-schema-setup': { POSTGRES_SEEDS: 'PostgreSQL host', DB_PORT: 'PostgreSQL port' },
  temporal: {
    POSTGRES_SEEDS: 'PostgreSQL host',
    DB_PORT: 'PostgreSQL port',
    DYNAMIC_CONFIG_FILE_PATH: 'the host path of the mounted file',
  },
  'temporal-create-namespace': { TEMPORAL_ADDRESS: 'frontend address' },
  'temporal-ui': { TEMPORAL_ADDRESS: 'frontend address', TEMPORAL_CODEC_ENDPOINT: 'codec server URL' },
  'codec-server': {
    CODEC_SERVER_HOST: 'loopback',
    CODEC_SERVER_PORT: 'port',
    CODEC_SERVER_UI_ORIGINS: "the Web UI's origin on this machine",
  },
  worker: {
    TEMPORAL_ADDRESS: 'frontend address',
    WORKER_HTTP_HOST: 'loopback',
    WORKER_HEALTH_PORT: 'one port per worker',
    WORKER_METRICS_PORT: 'one port per worker',
  },
  listener: { TEMPORAL_ADDRESS: 'frontend address', LISTENER_HOST: 'loopback', LISTENER_PORT: 'port' },
  simulator: { SIMULATOR_HOST: 'loopback', SIMULATOR_PORT: 'port' },
} as const satisfies Record<string, Record<string, string>>;

/** Variables the native run adds, because the images set them (or paths differ) there. */
export const NATIVE_ADDITIONS = {
  'temporal-schema-setup': {
    SCHEMA_ROOT: "the module's schema/postgresql/v12 (the image's /etc/temporal/schema)",
  },
  temporal: { BIND_ON_IP: "127.0.0.1 (the image's entrypoint derives it from the container's address)" },
  'temporal-ui': { TEMPORAL_UI_PORT: "this machine's port (the image listens on 8080)" },
} as const;

export type PlannedService = keyof typeof NATIVE_OVERRIDES;

export interface NativeContext {
  /** What compose interpolates from .env (and the generated POSTGRES_PASSWORD). */
  vars: Readonly<Record<string, string | undefined>>;
  postgresPort: number;
  temporalAddress: string;
  schemaRoot: string;
  listenerPort: number;
  simulatorPort: number;
  uiPort: number;
  codecServerPort: number;
  /** Per named volume of docker-compose.yml: the host folder that holds it. */
  volumes: Readonly<Record<string, string>>;
}

type Overrides<S extends PlannedService> = Record<keyof (typeof NATIVE_OVERRIDES)[S], string>;

function environment<S extends PlannedService>(
  compose: ComposeFile,
  name: S,
  ctx: NativeContext,
  overrides: Overrides<S>,
): Record<string, string> {
  const service = composeService(compose, name);
  return withVolumePaths(service, serviceEnvironment(service, ctx.vars, overrides), ctx.volumes);
}

export function schemaJobEnvironment(compose: ComposeFile, ctx: NativeContext): Record<string, string> {
  return {
    ...environment(compose, 'temporal-schema-setup', ctx, {
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(ctx.postgresPort),
    }),
    SCHEMA_ROOT: ctx.schemaRoot,
  };
}

export function serverEnvironment(
  compose: ComposeFile,
  ctx: NativeContext,
  ports: NodePorts,
): Record<string, string> {
  const temporal = composeService(compose, 'temporal');
  return {
    ...environment(compose, 'temporal', ctx, {
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(ctx.postgresPort),
      DYNAMIC_CONFIG_FILE_PATH: hostPath(
        temporal,
        String(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH ?? ''),
      ),
    }),
    BIND_ON_IP: '127.0.0.1',
    ...Object.fromEntries(Object.entries(ports).map(([key, port]) => [key, String(port)])),
  };
}

export function namespaceJobEnvironment(compose: ComposeFile, ctx: NativeContext): Record<string, string> {
  return environment(compose, 'temporal-create-namespace', ctx, { TEMPORAL_ADDRESS: ctx.temporalAddress });
}

export function workerEnvironment(
  compose: ComposeFile,
  ctx: NativeContext,
  ports: { health: number; metrics: number },
): Record<string, string> {
  return environment(compose, 'worker', ctx, {
    TEMPORAL_ADDRESS: ctx.temporalAddress,
    WORKER_HTTP_HOST: '127.0.0.1',
    WORKER_HEALTH_PORT: String(ports.health),
    WORKER_METRICS_PORT: String(ports.metrics),
  });
}

export function listenerEnvironment(compose: ComposeFile, ctx: NativeContext): Record<string, string> {
  return environment(compose, 'listener', ctx, {
    TEMPORAL_ADDRESS: ctx.temporalAddress,
    LISTENER_HOST: '127.0.0.1',
    LISTENER_PORT: String(ctx.listenerPort),
  });
}

export function simulatorEnvironment(compose: ComposeFile, ctx: NativeContext): Record<string, string> {
  return environment(compose, 'simulator', ctx, {
    SIMULATOR_HOST: '127.0.0.1',
    SIMULATOR_PORT: String(ctx.simulatorPort),
  });
}

export function codecServerEnvironment(compose: ComposeFile, ctx: NativeContext): Record<string, string> {
  return environment(compose, 'codec-server', ctx, {
    CODEC_SERVER_HOST: '127.0.0.1',
    CODEC_SERVER_PORT: String(ctx.codecServerPort),
    CODEC_SERVER_UI_ORIGINS: `http://127.0.0.1:${ctx.uiPort}`,
  });
}

export function uiEnvironment(compose: ComposeFile, ctx: NativeContext): Record<string, string> {
  return {
    ...environment(compose, 'temporal-ui', ctx, {
      TEMPORAL_ADDRESS: ctx.temporalAddress,
      TEMPORAL_CODEC_ENDPOINT: `http://127.0.0.1:${ctx.codecServerPort}`,
    }),
    TEMPORAL_UI_PORT: String(ctx.uiPort),
  };
}
