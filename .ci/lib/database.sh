# The arguments and the database of the tests that run finmatch on a throw-away database:
# .ci/crash/run.sh, .ci/outage/run.sh and .ci/backup/run.sh. Sourced, not run, by a script
# under `set -euo pipefail` (the functions rely on it; an `exit` here ends the script):
#
#   HERE=$(cd "$(dirname "$0")" && pwd)
#   . "$HERE/../lib/database.sh"
#   ci_args crash ci_crash "$@"       # BINARY DB_URL PORT BACKEND PG_BASE PG_SCHEMA SQLITE_PATH …
#   log() { …; }
#   ci_work_dir                       # START WORK
#   cleanup() { ci_kill_server; …; ci_drop_database; …; }
#   trap cleanup EXIT
#   ci_fresh_schema
#
# NAME (crash, outage, backup; schemathesis, which uses ci_check_args only) starts every
# message, which goes to stderr; bad arguments exit 2.

# ci_check_args NAME BINARY DATABASE_URL PORT
# Checks the script's three arguments (`usage: $0 BINARY DATABASE_URL PORT` otherwise), sets
# BINARY (an executable, made absolute), DB_URL and PORT. Used alone by .ci/schemathesis/run.sh.
ci_check_args() {
  local name=$1
  shift
  if [ $# -ne 3 ]; then
    echo "usage: $0 BINARY DATABASE_URL PORT" >&2
    exit 2
  fi
  BINARY=$1 DB_URL=$2 PORT=$3
  if [ ! -x "$BINARY" ]; then
    echo "$name: $BINARY is not an executable" >&2
    exit 2
  fi
  BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
}

# ci_args NAME DEFAULT_SCHEMA BINARY DATABASE_URL PORT
# ci_check_args, then the database: sets
#   DB_URL       as given, but a postgres:// URL without `options=-csearch_path%3DSCHEMA` gets
#                `options=-csearch_path%3DDEFAULT_SCHEMA` appended;
#   BACKEND      postgres or sqlite;
#   PG_BASE      the postgres:// URL without its query (for psql), PG_SCHEMA the schema, which
#                must be a plain lower-case name other than public (this test drops it);
#   SQLITE_PATH  the file of a sqlite:// URL, which must not exist yet (a fresh database);
#                SQLITE_DIR its directory, created when missing (then MADE_SQLITE_DIR=1);
# and the variables of the other backend empty.
ci_args() {
  local name=$1 default_schema=$2
  shift 2
  ci_check_args "$name" "$@"

  PG_BASE= PG_SCHEMA= SQLITE_PATH= SQLITE_DIR= MADE_SQLITE_DIR=
  case "$DB_URL" in
    postgres://* | postgresql://*)
      BACKEND=postgres
      if ! printf '%s' "$DB_URL" | grep -q 'csearch_path%3[Dd]'; then
        case "$DB_URL" in *\?*) DB_URL="$DB_URL&" ;; *) DB_URL="$DB_URL?" ;; esac
        DB_URL="${DB_URL}options=-csearch_path%3D$default_schema"
      fi
      PG_SCHEMA=$(printf '%s' "$DB_URL" | sed -n 's/.*csearch_path%3[Dd]\([A-Za-z0-9_]*\).*/\1/p')
      PG_BASE=${DB_URL%%\?*}
      if ! printf '%s' "$PG_SCHEMA" | grep -Eq '^[a-z_][a-z0-9_]*$' || [ "$PG_SCHEMA" = public ]; then
        echo "$name: the search_path schema '$PG_SCHEMA' is not one this test may drop" >&2
        exit 2
      fi
      ;;
    sqlite://*)
      BACKEND=sqlite
      SQLITE_PATH=${DB_URL#sqlite://}
      SQLITE_PATH=${SQLITE_PATH%%\?*}
      if [ -e "$SQLITE_PATH" ]; then
        echo "$name: $SQLITE_PATH exists; the $name test needs a fresh database" >&2
        exit 2
      fi
      SQLITE_DIR=$(dirname "$SQLITE_PATH")
      [ -d "$SQLITE_DIR" ] || { mkdir -p "$SQLITE_DIR"; MADE_SQLITE_DIR=1; }
      ;;
    *)
      echo "$name: DATABASE_URL must be sqlite://… or postgres://…" >&2
      exit 2
      ;;
  esac
}

# ci_fresh_schema: on PostgreSQL, drops PG_SCHEMA (and all in it) and creates it empty; fails
# (and so ends the script) when psql does. Nothing on SQLite.
ci_fresh_schema() {
  [ -n "$PG_SCHEMA" ] || return 0
  # (client_min_messages: no NOTICE when the schema is not there yet)
  PGOPTIONS=--client-min-messages=warning \
    psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE; CREATE SCHEMA $PG_SCHEMA" >/dev/null
}

# ci_drop_schema: on PostgreSQL, drops PG_SCHEMA, quietly and never failing (for a cleanup).
ci_drop_schema() {
  [ -n "$PG_SCHEMA" ] || return 0
  psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
}

# ci_drop_sqlite_dir: removes SQLITE_DIR if ci_args created it and it is empty (never fails).
ci_drop_sqlite_dir() {
  [ -z "$MADE_SQLITE_DIR" ] || rmdir "$SQLITE_DIR" 2>/dev/null || true
}

# ci_drop_database: the cleanup of either backend, never failing: drops PG_SCHEMA, or removes
# the SQLite file with its -wal, -shm, -journal and the .lock a `finmatch serve` keeps beside it,
# then its directory if ci_args created it.
ci_drop_database() {
  ci_drop_schema
  if [ -n "$SQLITE_PATH" ]; then
    rm -f "$SQLITE_PATH" "$SQLITE_PATH-wal" "$SQLITE_PATH-shm" "$SQLITE_PATH-journal" \
      "$SQLITE_PATH.lock"
    ci_drop_sqlite_dir
  fi
}

# ci_work_dir: sets START (the run's start, in seconds) and WORK, a new temp dir with WORK/data.
ci_work_dir() {
  START=$(date +%s)
  WORK=$(mktemp -d)
  mkdir -p "$WORK/data"
}

# ci_kill_server: kills (SIGKILL) the server whose pid is in WORK/server.pid, if any. The
# python driver stops the server itself; this is for a cleanup when the driver is gone.
ci_kill_server() {
  if [ -s "$WORK/server.pid" ]; then
    kill -9 "$(cat "$WORK/server.pid")" 2>/dev/null || true
  fi
}
