#!/usr/bin/env bash
# Write scaling (issue 14, point 1) against a release build of finmatch.
#   benches/writes.sh sqlite|postgres [seconds]      (FINMATCH_BIN=path: measure that binary)
# Seeds a small demo world (every enterprise has a login), starts one server and runs
# benches/writes.py with 1, 4 and 16 workers: full lifecycles, then `POST /demands` alone.
# On PostgreSQL it also samples what the busy backends wait on.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
seconds=${2:-20}
port=18991
work=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

bin=${FINMATCH_BIN:-./target/release/finmatch}
[ -n "${FINMATCH_BIN:-}" ] || cargo build --release -q
export FINMATCH_DATA_DIR="$work" FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
# A benchmark is one client at full speed: the per-token rate limit would measure itself.
export FINMATCH_RATE_LIMIT=0 FINMATCH_RATE_LIMIT_ANON=0
export FINMATCH_PASSWORD_HASH_COST=test FINMATCH_DB_POOL_SIZE=${FINMATCH_DB_POOL_SIZE:-24}
pg=""
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP SCHEMA IF EXISTS benchw CASCADE; CREATE SCHEMA benchw"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbenchw"
  pg="postgres://postgres@127.0.0.1:5432/test"
fi
"$bin" seed-demo --products 200 --enterprises 40 --enterprise-users 40 --demands 40 --loans 0 --other-matches 0 > "$work/seed.log"; head -1 "$work/seed.log"
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
for mode in lifecycle demands; do
  for workers in 1 4 16; do
    python3 benches/writes.py "http://127.0.0.1:$port" "$mode" "$workers" "$seconds" $pg
  done
done
