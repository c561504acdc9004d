/**
 * A PostgreSQL instance in a data folder of its own, standing in for compose's `postgresql`
 * service (same user `temporal`, password authentication over TCP). As root, initdb runs through
 * `runuser -u postgres` and the server as that user (PostgreSQL refuses to run as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { PostgresTools } from './tools.js';
import type { ProcessSpec } from './supervisor.js';

export interface PostgresOptions {
  tools: PostgresTools;
  dataDir: string;
  port: number;
  user: string;
  password: string;
  logFile: string;
}

/** initdb writes it: its presence means an initialised data folder. */
const VERSION_FILE = 'PG_VERSION';

interface Account {
  uid: number;
  gid: number;
}

/** The account the server runs as: `postgres` when we are root, else ourselves. */
function serviceAccount(): Account | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string): number => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error(
      'running as root needs the postgres user (Debian creates it with the postgresql package)',
    );
  }
}

/** initdb once: the folder keeps its data between runs. */
export function initPostgres(options: PostgresOptions): boolean {
  const { dataDir, tools } = options;
  if (existsSync(join(dataDir, VERSION_FILE))) return false;
  const account = serviceAccount();
  if (account) {
    for (let dir = dirname(dataDir); dir !== dirname(dir); dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) {
        throw new Error(
          `PostgreSQL runs as user postgres, which cannot enter ${dir}: chmod o+x it or choose another --data-dir`,
        );
      }
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = `${dataDir}.pw`;
  writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
  try {
    if (account) {
      chownSync(dataDir, account.uid, account.gid);
      chownSync(pwfile, account.uid, account.gid);
    }
    const initdb = [
      join(tools.binDir, 'initdb'),
      '-D',
      dataDir,
      '-U',
      options.user,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=peer',
      '-E',
      'UTF8',
      '--locale=C',
    ];
    const result = account
      ? spawnSync('runuser', ['-u', 'postgres', '--', ...initdb], { encoding: 'utf8' })
      : spawnSync(initdb[0] ?? 'initdb', initdb.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`initdb failed: ${(result.stderr || result.stdout).trim().split('\n').at(-1) ?? ''}`);
    }
  } finally {
    rmSync(pwfile, { force: true });
  }
  return true;
}

/**
 * The server process: TCP on 127.0.0.1 only, no Unix socket. SIGINT is PostgreSQL's fast
 * shutdown (what `pg_ctl stop` sends). Enough connections for several Temporal server processes.
 */
export function postgresProcess(options: PostgresOptions, cwd: string): ProcessSpec {
  const account = serviceAccount();
  const isReady = join(options.tools.binDir, 'pg_isready');
  return {
    name: 'postgresql',
    command: join(options.tools.binDir, 'postgres'),
    args: [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=400',
    ],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    cwd,
    logFile: options.logFile,
    ...(account ?? {}),
    stopSignal: 'SIGINT',
    stopGraceMs: 30_000,
    // The compose healthcheck's own command.
    ready: () =>
      Promise.resolve(
        spawnSync(
          isReady,
          ['-h', '127.0.0.1', '-p', String(options.port), '-U', options.user, '-d', 'postgres'],
          {
            stdio: 'ignore',
          },
        ).status === 0,
      ),
    endpoints: { postgresql: `127.0.0.1:${options.port}` },
  };
}
