#!/usr/bin/env bash
# Crash test: finmatch is killed with SIGKILL under write load, restarted on the same database,
# and must still have every write it acknowledged; then its reporting rollups must equal a
# rebuild from the fact tables.
#
#   bash .ci/crash/run.sh BINARY DATABASE_URL PORT
#
# DATABASE_URL is sqlite://PATH (PATH must not exist yet: the test needs a fresh database; its
# directory is created) or postgres://… (the schema named by `?options=-csearch_path%3DSCHEMA`,
# ci_crash when the URL names none, is dropped and created here with psql, and dropped on exit).
#
# 1. finmatch serves DATABASE_URL on 127.0.0.1:PORT from a fresh data dir, with a fixed JWT
#    secret (tokens survive restarts); crash.py waits for GET /readyz.
# 2. crash.py builds a world through the API: the admin logs in and creates a finance office
#    (region 37), a guarantor and two banks with a user each; each bank publishes a broad active
#    product; enterprises self-register in several regions (one outside 37), some with
#    qualifications.
# 3. Load: FM_CRASH_THREADS threads (8), one enterprise each, post demands, edit them, apply,
#    and have the banks accept, approve, reject and disburse; each write is journalled when
#    sent and when acknowledged (2xx) in memory and in WORKDIR/journal.jsonl.
# 4. FM_CRASH_CRASHES times (3), at a random moment a few seconds into the load, the server is
#    killed with SIGKILL and restarted on the same database; writes that got no answer are
#    unacknowledged and only bounded (see crash.py).
# 5. After the last restart: every acknowledged demand, match (in its acknowledged state) and
#    loan (GET /loans/{id}) is there with its amounts, nothing exists twice, multi-row writes
#    are whole, the overview's counts equal the fact lists. Prints
#    `crash test: N crashes, M acknowledged writes, K lost`.
# 6. Every report (overview, banks, breakdown by each dimension; as the admin and the office) is
#    captured, the server is stopped (SIGTERM), `BINARY rebuild-stats` runs, the server starts
#    again and every report must be identical (the first difference is printed).
# Exits 0 on success, 1 on a lost write, an inconsistency, a rollup mismatch or a 5xx, 2 on bad
# arguments. The server is always stopped, and the temp dir, the SQLite file or the PostgreSQL
# schema removed, on exit.
#
# Knobs (environment): FM_CRASH_CRASHES (3), FM_CRASH_THREADS (8), FM_CRASH_SEED (random; the
# run prints it), FM_CRASH_MIN_UP / FM_CRASH_MAX_UP (seconds of load before each kill, 2.5 / 5),
# FM_CRASH_TAIL (seconds of load after the last restart, 2),
# FM_CRASH_KEEP=1 (keep the work dir with server.log and journal.jsonl, and the database).
#
# Only python3's standard library.
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BINARY DATABASE_URL PORT" >&2
  exit 2
fi
BINARY=$1 DB_URL=$2 PORT=$3
if [ ! -x "$BINARY" ]; then
  echo "crash: $BINARY is not an executable" >&2
  exit 2
fi
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONDONTWRITEBYTECODE=1

PG_BASE= PG_SCHEMA= SQLITE_PATH= SQLITE_DIR= MADE_SQLITE_DIR=
case "$DB_URL" in
  postgres://* | postgresql://*)
    BACKEND=postgres
    if ! printf '%s' "$DB_URL" | grep -q 'csearch_path%3[Dd]'; then
      case "$DB_URL" in *\?*) DB_URL="$DB_URL&" ;; *) DB_URL="$DB_URL?" ;; esac
      DB_URL="${DB_URL}options=-csearch_path%3Dci_crash"
    fi
    PG_SCHEMA=$(printf '%s' "$DB_URL" | sed -n 's/.*csearch_path%3[Dd]\([A-Za-z0-9_]*\).*/\1/p')
    PG_BASE=${DB_URL%%\?*}
    if ! printf '%s' "$PG_SCHEMA" | grep -Eq '^[a-z_][a-z0-9_]*$' || [ "$PG_SCHEMA" = public ]; then
      echo "crash: the search_path schema '$PG_SCHEMA' is not one this test may drop" >&2
      exit 2
    fi
    ;;
  sqlite://*)
    BACKEND=sqlite
    SQLITE_PATH=${DB_URL#sqlite://}
    SQLITE_PATH=${SQLITE_PATH%%\?*}
    if [ -e "$SQLITE_PATH" ]; then
      echo "crash: $SQLITE_PATH exists; the crash test needs a fresh database" >&2
      exit 2
    fi
    SQLITE_DIR=$(dirname "$SQLITE_PATH")
    [ -d "$SQLITE_DIR" ] || { mkdir -p "$SQLITE_DIR"; MADE_SQLITE_DIR=1; }
    ;;
  *)
    echo "crash: DATABASE_URL must be sqlite://… or postgres://…" >&2
    exit 2
    ;;
esac
log() { printf '\n==> crash[%s]: %s\n' "$BACKEND" "$*"; }
START=$(date +%s)

WORK=$(mktemp -d)
mkdir -p "$WORK/data"
cleanup() {
  # crash.py stops the server itself; this is for when crash.py is gone.
  if [ -s "$WORK/server.pid" ]; then
    kill -9 "$(cat "$WORK/server.pid")" 2>/dev/null || true
  fi
  if [ "${FM_CRASH_KEEP:-}" = 1 ]; then
    echo "crash: kept $WORK and the database ($DB_URL)" >&2
    return
  fi
  if [ -n "$PG_SCHEMA" ]; then
    psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE" >/dev/null 2>&1 || true
  fi
  if [ -n "$SQLITE_PATH" ]; then
    rm -f "$SQLITE_PATH" "$SQLITE_PATH-wal" "$SQLITE_PATH-shm" "$SQLITE_PATH-journal"
    [ -z "$MADE_SQLITE_DIR" ] || rmdir "$SQLITE_DIR" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "$PG_SCHEMA" ]; then
  # (client_min_messages: no NOTICE when the schema is not there yet)
  PGOPTIONS=--client-min-messages=warning \
    psql -q "$PG_BASE" -c "DROP SCHEMA IF EXISTS $PG_SCHEMA CASCADE; CREATE SCHEMA $PG_SCHEMA" >/dev/null
fi

log "crash test on $BACKEND, port $PORT"
status=0
python3 "$HERE/crash.py" "$BINARY" "$DB_URL" "$PORT" "$WORK" || status=$?
if [ "$status" -ne 0 ]; then
  echo "crash: last lines of the server log:" >&2
  tail -n 20 "$WORK/server.log" >&2 2>/dev/null || true
fi
log "took $(( $(date +%s) - START ))s"
exit "$status"
