#!/bin/sh
# Creates, or upgrades to this image's version, Temporal's two PostgreSQL databases: what the
# deprecated auto-setup image did at start-up, as a one-shot job with temporalio/admin-tools.
# Safe to run on every `docker compose up`: an existing schema is only upgraded.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD (the PostgreSQL password) is required}"
DB_PORT="${DB_PORT:-5432}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# $1 database, $2 folder of versioned schema updates
setup_database() {
  db="$1"
  versioned="$2"
  if sql --db "$db" create; then
    echo "created database $db"
    sql --db "$db" setup-schema -v 0.0
  else
    echo "database $db exists (or cannot be created by $POSTGRES_USER): upgrading its schema"
  fi
  if ! out="$(sql --db "$db" update-schema -d "$versioned" 2>&1)"; then
    echo "$out"
    case "$out" in
      *schema_version*"does not exist"*)
        # The database exists but never got a schema (created by hand, or an earlier run stopped early).
        echo "database $db has no Temporal schema yet: setting it up"
        sql --db "$db" setup-schema -v 0.0
        sql --db "$db" update-schema -d "$versioned"
        ;;
      *) exit 1 ;;
    esac
  else
    echo "$out"
  fi
}

setup_database "${DBNAME:-temporal}" "$SCHEMA_ROOT/temporal/versioned"
setup_database "${VISIBILITY_DBNAME:-temporal_visibility}" "$SCHEMA_ROOT/visibility/versioned"
echo "Temporal schemas are up to date"
