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

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/database.sh
. "$HERE/../lib/database.sh"
ci_args crash ci_crash "$@"
export PYTHONDONTWRITEBYTECODE=1
log() { printf '\n==> crash[%s]: %s\n' "$BACKEND" "$*"; }
ci_work_dir
cleanup() {
  ci_kill_server # (for when crash.py is gone)
  if [ "${FM_CRASH_KEEP:-}" = 1 ]; then
    echo "crash: kept $WORK and the database ($DB_URL)" >&2
    return
  fi
  ci_drop_database
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ci_fresh_schema

log "crash test on $BACKEND, port $PORT"
status=0
python3 "$HERE/crash.py" "$BINARY" "$DB_URL" "$PORT" "$WORK" || status=$?
if [ "$status" -ne 0 ]; then
  echo "crash: last lines of the server log:" >&2
  tail -n 20 "$WORK/server.log" >&2 2>/dev/null || true
fi
log "took $(( $(date +%s) - START ))s"
exit "$status"
