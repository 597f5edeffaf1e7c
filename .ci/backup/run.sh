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

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/database.sh
. "$HERE/../lib/database.sh"
ci_args backup ci_backup "$@"
export PYTHONDONTWRITEBYTECODE=1
SCRATCH=
if [ -n "$PG_SCHEMA" ]; then
  SCRATCH="${PG_SCHEMA}_restore_${PORT}"
  export FM_BACKUP_PG_SCRATCH=$SCRATCH
fi
log() { printf '\n==> backup[%s]: %s\n' "$BACKEND" "$*"; }
ci_work_dir
drop_scratch() {
  PGOPTIONS=--client-min-messages=warning \
    psql -q "$PG_BASE" -c "DROP DATABASE IF EXISTS $SCRATCH WITH (FORCE)" >/dev/null
}
cleanup() {
  ci_kill_server # (for when backup.py is gone)
  if [ "${FM_BACKUP_KEEP:-}" = 1 ]; then
    echo "backup: kept $WORK and the database ($DB_URL${SCRATCH:+; restored into database $SCRATCH})" >&2
    return
  fi
  ci_drop_database
  [ -z "$SCRATCH" ] || drop_scratch 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$PG_SCHEMA" ]; then
  for tool in pg_dump pg_restore; do
    command -v "$tool" >/dev/null || { echo "backup: $tool is not installed" >&2; exit 2; }
  done
  ci_fresh_schema
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
