#!/bin/sh
# Creates, or upgrades to this image's version, Temporal's two PostgreSQL databases: what the
# deprecated auto-setup image did at start-up, as a one-shot job with temporalio/admin-tools.
# Safe on every `docker compose up`: `create` skips an existing database, `setup-schema -v 0.0`
# skips a database that already has a schema version, and `update-schema` applies only newer
# versions (the image's schema files are the reference).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD (the PostgreSQL password) is required}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# $1 database, $2 folder of its versioned schema updates
setup_database() {
  sql --db "$1" create
  sql --db "$1" setup-schema -v 0.0
  sql --db "$1" update-schema -d "$2"
  echo "database $1: schema up to date"
}

setup_database "${DBNAME:-temporal}" "$SCHEMA_ROOT/temporal/versioned"
setup_database "${VISIBILITY_DBNAME:-temporal_visibility}" "$SCHEMA_ROOT/visibility/versioned"
