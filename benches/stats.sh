#!/usr/bin/env bash
# Reporting at scale: seeds N loans (and as many more matches in other states), then measures
#   GET /stats/overview and GET /stats/breakdown?by=quarter (wrk --latency, p50)
# and the equivalent hand-written SQL aggregate on the same database (python3's sqlite3 / psql).
#   benches/stats.sh sqlite|postgres [loans]
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
loans=${2:-100000}
port=18991
work=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
cargo build --release -q
export FINMATCH_DATA_DIR="$work" FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP SCHEMA IF EXISTS bench_stats CASCADE; CREATE SCHEMA bench_stats"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_stats"
fi
./target/release/finmatch seed-demo --products 1000 --enterprises 20000 --demands $((loans * 2)) --loans "$loans" --other-matches "$loans" > "$work/seed.log"; head -1 "$work/seed.log"
./target/release/finmatch serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for path in "/api/v1/stats/overview" "/api/v1/stats/breakdown?by=quarter"; do
  echo "-- GET $path"
  wrk -t1 -c1 -d15s --latency -H "authorization: Bearer $token" "http://127.0.0.1:$port$path" | grep -E " 50%| 90%|Requests/sec|Non-2xx"
done
sql="SELECT COUNT(*), SUM(amount_fen), COUNT(DISTINCT enterprise_id) FROM loans"
echo "-- hand-written SQL: $sql"
if [ "$backend" = postgres ]; then
  psql -q "$DATABASE_URL" -c '\timing on' -c "$sql" | grep -E "Time"
else
  python3 - "$work/finmatch.db" "$sql" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); q = sys.argv[2]
ts = []
for _ in range(20):
    t = time.perf_counter(); c.execute(q).fetchall(); ts.append(time.perf_counter() - t)
ts.sort(); print(f"p50 {ts[len(ts)//2]*1000:.2f} ms")
PY
fi
