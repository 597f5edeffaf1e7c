#!/usr/bin/env bash
# Outage test: the database goes away under write load and comes back. finmatch must answer
# fast 503s meanwhile (never hang, never 500), say so once in its log, recover by itself, and
# lose no acknowledged write and no webhook delivery.
#
#   bash .ci/outage/run.sh BINARY DATABASE_URL PORT
#
# DATABASE_URL is postgres://… (the schema named by `?options=-csearch_path%3DSCHEMA`,
# ci_outage when the URL names none, is dropped and created here with psql, and dropped on
# exit) or sqlite://PATH (PATH must not exist; its directory must not exist or be empty: a
# tmpfs of FM_OUTAGE_TMPFS_SIZE (64m) is mounted on it — root — and unmounted on exit).
#
# PostgreSQL (the database cut off):
# 1. outage.py starts a TCP proxy (an asyncio thread) in front of the URL's host:port and
#    serves finmatch on 127.0.0.1:PORT with DATABASE_URL pointing at the proxy, FINMATCH_LOG=info
#    (its log, WORKDIR/server.log, is counted), FINMATCH_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8 and a
#    webhook receiver on 127.0.0.1.
# 2. It builds the crash test's world (.ci/crash/crash.py, imported: admin, finance office,
#    guarantor, two banks with products, enterprises); one more enterprise subscribes a webhook
#    to its match.* and loan.disbursed events and runs a slower load of its own.
# 3. Load: FM_OUTAGE_THREADS (8) threads of the crash test's writes (journalled as acknowledged
#    or not), probes of /readyz and /healthz every 0.2 s and of a read every 0.2 s.
# 4. FM_OUTAGE_CUTS times (2), after some load, the proxy closes every proxied connection
#    (RST) and stops listening (new connections are refused) for FM_OUTAGE_DOWN s (12), then
#    listens again. Meanwhile every answer is judged: 503 application/problem+json
#    "service_unavailable" with Retry-After within FINMATCH_DB_TIMEOUT_MS + 1000 ms (A), no
#    request longer than 5 s, /readyz within 1 s and 503 saying why, /healthz 200 (B); after
#    it: /readyz 200 and a write acknowledged within 10 s, no 503 after (D); the log lines of
#    this outage hold exactly one `database unavailable` and one `database available again`
#    and at most 5 lines at WARN/ERROR (C).
# 5. After the load: unacknowledged creates are retried with their Idempotency-Key, every
#    acknowledged write is checked as the crash test does; every webhook delivery the server
#    logged reached the receiver, none twice under two ids, every acknowledged write of the
#    webhook enterprise announced (E); every report equals a `rebuild-stats`.
# SQLite (the disk full), the same but for step 4: FM_OUTAGE_CUTS times a filler file takes
#    the tmpfs's last byte until a write is refused and FM_OUTAGE_FULL_HOLD s (6) more:
#    writes answer 2xx or 503 as in A (not 500), reads 200; the filler is removed and writes
#    succeed again within 10 s without a restart; at the end the server is stopped, `PRAGMA
#    integrity_check` must be ok and, restarted, every acknowledged write still there (F).
# Prints `outage test: 2 outages, N writes acknowledged, M answered 503 (max X s), readyz max Y s`.
# Each failure is printed with the clause it breaks (A … F; see outage.py). Exits 0 on success,
# 1 on a failed assertion, 2 on bad arguments. The server, proxy and receiver are stopped and
# the temp dir, the tmpfs or the PostgreSQL schema removed on exit.
#
# Knobs (environment): FM_OUTAGE_CUTS (2), FM_OUTAGE_DOWN (12), FM_OUTAGE_THREADS (8),
# FM_OUTAGE_SEED (random; printed), FM_OUTAGE_DB_TIMEOUT_MS (unset: the server default 2000),
# FM_OUTAGE_TMPFS_SIZE (64m), FM_OUTAGE_PROXY_PORT / FM_OUTAGE_HOOK_PORT (0: any free port),
# FM_OUTAGE_KEEP=1 (keep the work dir with server.log and journal.jsonl, and the database; a
# SQLite database is copied there before the tmpfs goes); more in outage.py.
#
# Only python3's standard library (and psql for PostgreSQL, mount for SQLite).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/database.sh
. "$HERE/../lib/database.sh"
ci_args outage ci_outage "$@"
export PYTHONDONTWRITEBYTECODE=1
MOUNTED=
if [ -n "$SQLITE_PATH" ]; then
  # (a directory ci_args just created is empty)
  if [ -n "$(ls -A "$SQLITE_DIR")" ]; then
    echo "outage: $SQLITE_DIR is not empty; the tmpfs is mounted on the database's directory" >&2
    exit 2
  fi
  SQLITE_DIR=$(cd "$SQLITE_DIR" && pwd)
fi
log() { printf '\n==> outage[%s]: %s\n' "$BACKEND" "$*"; }
ci_work_dir
cleanup() {
  ci_kill_server # (for when outage.py is gone)
  if [ "${FM_OUTAGE_KEEP:-}" = 1 ]; then
    if [ -n "$MOUNTED" ]; then
      mkdir -p "$WORK/sqlite" && cp -a "$SQLITE_DIR/." "$WORK/sqlite/" 2>/dev/null || true
    fi
    echo "outage: kept $WORK (and the database: $DB_URL${MOUNTED:+, copied to $WORK/sqlite})" >&2
  else
    ci_drop_schema
    rm -rf "$WORK"
  fi
  if [ -n "$MOUNTED" ]; then
    # the server may take a moment to go after SIGKILL
    for _ in 1 2 3 4 5 6 7 8 9 10; do umount "$SQLITE_DIR" 2>/dev/null && break; sleep 0.5; done
    mountpoint -q "$SQLITE_DIR" && echo "outage: could not unmount the tmpfs on $SQLITE_DIR" >&2
  fi
  ci_drop_sqlite_dir
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ci_fresh_schema
if [ -n "$SQLITE_PATH" ]; then
  if ! mount -t tmpfs -o "size=${FM_OUTAGE_TMPFS_SIZE:-64m},mode=0700" tmpfs "$SQLITE_DIR"; then
    echo "outage: cannot mount a tmpfs on $SQLITE_DIR (the SQLite outage test needs root)" >&2
    exit 2
  fi
  MOUNTED=1
  export FM_OUTAGE_TMPFS=$SQLITE_DIR
fi

log "outage test on $BACKEND, port $PORT"
status=0
python3 "$HERE/outage.py" "$BINARY" "$DB_URL" "$PORT" "$WORK" || status=$?
if [ "$status" -ne 0 ]; then
  echo "outage: last lines of the server log:" >&2
  tail -n 20 "$WORK/server.log" 2>/dev/null | cut -c1-400 >&2 || true
fi
log "took $(( $(date +%s) - START ))s"
exit "$status"
