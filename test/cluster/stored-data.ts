/**
 * What a reader of the cluster's PostgreSQL (or of a backup of it) sees: every row of the
 * `temporal` and `temporal_visibility` databases as `pg_dump --data-only` writes them, searched for
 * a text both as text and as the hex that bytea columns (history events, mutable state) show.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPostgres } from '../../tooling/cluster/tools.js';
import type { ClusterState } from '../../tooling/cluster/stack.js';

export function dumpDatabases(state: ClusterState): string {
  const postgres = findPostgres();
  if (!postgres) throw new Error('PostgreSQL tools not found');
  const secrets = JSON.parse(readFileSync(join(state.dataDir, 'secrets.json'), 'utf8')) as {
    postgresPassword: string;
  };
  const port = state.processes.find((p) => p.name === 'postgresql')?.endpoints?.postgresql?.split(':')[1];
  if (!port) throw new Error('no PostgreSQL port in the cluster state');
  return ['temporal', 'temporal_visibility']
    .map((database) =>
      execFileSync(
        join(postgres.binDir, 'pg_dump'),
        ['--data-only', '--host', '127.0.0.1', '--port', port, '--username', 'temporal', database],
        {
          encoding: 'utf8',
          maxBuffer: 512 * 1024 * 1024,
          env: { ...process.env, PGPASSWORD: secrets.postgresPassword },
        },
      ),
    )
    .join('\n');
}

/** Whether `dump` holds `text`, as text or as the hex of its UTF-8 bytes. */
export function holds(dump: string, text: string): boolean {
  return dump.includes(text) || dump.toLowerCase().includes(Buffer.from(text, 'utf8').toString('hex'));
}
