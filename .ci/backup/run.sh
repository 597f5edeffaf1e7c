#!/usr/bin/env bash
# Backup test: a backup taken while finmatch serves and writes restores into a fresh database
# that holds every write acknowledged before the backup began, is whole, and whose reports equal
# a rebuild; on SQLite `finmatch restore` refuses to overwrite a database a finmatch serves.
#
#   bash .ci/backup/run.sh BINARY DATABASE_URL PORT
#
# DATABASE_URL is sqlite://PATH (PATH must not exist yet; its directory is created) or
# postgres://… (the schema named by `?options=-csearch_path%3DSCHEMA`, ci_backup when the URL
# names none, is dropped and created here with psql, and dropped on exit; a scratch database
# SCHEMA_restore_PORT is created on the same server to restore into, and dropped on exit).
#
# 1. backup.py serves DATABASE_URL on 127.0.0.1:PORT (a fixed JWT secret: the tokens stay
#    valid on the restored copy) and builds the crash test's world (.ci/crash/crash.py,
#    imported).
# 2. Load: FM_BACKUP_THREADS (6) threads of the crash test's writes, each acknowledgement
#    numbered and journalled; after FM_BACKUP_WARM s (4) the number n0 is taken and, with the
#    load running, the backup is made:
#      SQLite      `BINARY backup WORKDIR/finmatch-backup.db` (DATABASE_URL in its environment);
#                  the file must pass `PRAGMA integrity_check` opened immutable, without a -wal;
#                  then `BINARY restore FILE` against the served database must exit non-zero
#                  saying `in use`, and the served database keep serving and writing;
#      PostgreSQL  `pg_dump -Fc -n SCHEMA -f WORKDIR/finmatch.dump`.
# 3. The load stops, the server stops (SIGTERM), and the backup is restored into a fresh
#    database: `DATABASE_URL=sqlite://WORKDIR/restored/finmatch.db BINARY restore FILE`, or
#    `pg_restore --exit-on-error --no-owner -d SCRATCH FILE`; finmatch serves the copy.
# 4. Every demand, match and loan acknowledged before n0 is on the copy, in its state then or
#    a later acknowledged one (the backup is a snapshot of some moment after n0); nothing on it
#    that no write acknowledged, nothing twice, multi-row writes whole, the overview equal to
#    the facts (the crash test's checks); a new write succeeds; every report equals a
#    `rebuild-stats` of the copy. Prints
#    `backup test: N writes acknowledged before the backup (M in all), backup took X s …`.
# Exits 0 on success, 1 on a failure (each printed; `G:` names the backup contract), 2 on bad
# arguments. The server is always stopped, and the temp dir, the SQLite file or the
# PostgreSQL schema and scratch database removed, on exit.
#
# Knobs (environment): FM_BACKUP_THREADS (6), FM_BACKUP_SEED (random; printed),
# FM_BACKUP_WARM (4), FM_BACKUP_AFTER (1 s of load after the backup), FM_BACKUP_KEEP=1 (keep
# the work dir with server.log, journal.jsonl, the backup and the restored copy, and the
# databases).
#
# Only python3's standard library (and psql, pg_dump, pg_restore for PostgreSQL).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY DATABASE_URL PORT" >&2
  exit 2
fi
BINARY=$1 DB_URL=$2 PORT=$3
if [ ! -x "$BINARY" ]; then
  echo "backup: $BINARY is not an executable" >&2
  exit 2
fi
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONDONTWRITEBYTECODE=1

PG_BASE= PG_SCHEMA= SCRATCH= SQLITE_PATH= SQLITE_DIR= MADE_SQLITE_DIR=
case "$DB_URL" in
  postgres://* | postgresql://*)
    BACKEND=postgres
    if ! printf '%s' "$DB_URL" | grep -q 'csearch_path%3[Dd]'; then
      case "$DB_URL" in *\?*) DB_URL="$DB_URL&" ;; *) DB_URL="$DB_URL?" ;; esac
      DB_URL="${DB_URL}options=-csearch_path%3Dci_backup"
    fi
    PG_SCHEMA=$(printf '%s' "$DB_URL" | sed -n 's/.*csearch_path%3[Dd]\([A-Za-z0-9_]*\).*/\1/p')
    PG_BASE=${DB_URL%%\?*}
    if ! printf '%s' "$PG_SCHEMA" | grep -Eq '^[a-z_][a-z0-9_]*$' || [ "$PG_SCHEMA" = public ]; then
      echo "backup: the search_path schema '$PG_SCHEMA' is not one this test may drop" >&2
      exit 2
    fi
    SCRATCH="${PG_SCHEMA}_restore_${PORT}"
    export FM_BACKUP_PG_SCRATCH=$SCRATCH
    ;;
  sqlite://*)
    BACKEND=sqlite
    SQLITE_PATH=${DB_URL#sqlite://}
    SQLITE_PATH=${SQLITE_PATH%%\?*}
    if [ -e "$SQLITE_PATH" ]; then
      echo "backup: $SQLITE_PATH exists; the backup test needs a fresh database" >&2
      exit 2
    fi
    SQLITE_DIR=$(dirname "$SQLITE_PATH")
    [ -d "$SQLITE_DIR" ] || { mkdir -p "$SQLITE_DIR"; MADE_SQLITE_DIR=1; }
    ;;
  *)
    echo "backup: DATABASE_URL must be sqlite://… or postgres://…" >&2
    exit 2
    ;;
esac
log() { printf '\n==> backup[%s]: %s\n' "$BACKEND" "$*"; }
START=$(date +%s)

WORK=$(mktemp -d)
mkdir -p "$WORK/data"
drop_scratch() {
  PGOPTIONS=--client-min-messages=warning \
    psql -q "$PG_BASE" -c "DROP DATABASE IF EXISTS $SCRATCH WITH (FORCE)" >/dev/null
}
cleanup() {
  # backup.py stops the server itself; this is for when backup.py is gone.
  if [ -s "$WORK/server.pid" ]; then
    kill -9 "$(cat "$WORK/server.pid")" 2>/dev/null || true
  fi
  if [ "${FM_BACKUP_KEEP:-}" = 1 ]; then
    echo "backup: kept $WORK and the database ($DB_URL${SCRATCH:+; restored into database $SCRATCH})" >&2
    return
  fi
  if [ -n "$PG_SCHEMA" ]; then
    psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
    drop_scratch 2>/dev/null || true
  fi
  if [ -n "$SQLITE_PATH" ]; then
    # (and the lock file a `finmatch serve` may keep beside its database)
    rm -f "$SQLITE_PATH" "$SQLITE_PATH-wal" "$SQLITE_PATH-shm" "$SQLITE_PATH-journal" \
      "$SQLITE_PATH.lock"
    [ -z "$MADE_SQLITE_DIR" ] || rmdir "$SQLITE_DIR" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$PG_SCHEMA" ]; then
  for tool in pg_dump pg_restore; do
    command -v "$tool" >/dev/null || { echo "backup: $tool is not installed" >&2; exit 2; }
  done
  # (client_min_messages: no NOTICE when the schema is not there yet)
  PGOPTIONS=--client-min-messages=warning \
    psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE; CREATE SCHEMA $PG_SCHEMA" >/dev/null
  drop_scratch
  psql -q "$PG_BASE" -c "CREATE DATABASE $SCRATCH" >/dev/null
fi

log "backup test on $BACKEND, port $PORT"
status=0
python3 "$HERE/backup.py" "$BINARY" "$DB_URL" "$PORT" "$WORK" || status=$?
if [ "$status" -ne 0 ]; then
  echo "backup: last lines of the server log:" >&2
  tail -n 20 "$WORK/server.log" 2>/dev/null | cut -c1-400 >&2 || true
fi
log "took $(( $(date +%s) - START ))s"
exit "$status"
