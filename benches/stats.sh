#!/usr/bin/env bash
# Reporting at scale: seeds N loans and 2N matches (N more in other states) with their life
# after 放款 (repayments, overdue, NPL, renewals, bridges: benches/stats_world.py), then measures
#   GET /stats/overview and GET /stats/breakdown?by=quarter (wrk --latency, p50)
# and, on the same database in the same run, the equivalent hand-written SQL:
#   - the scan a report without rollups would run over `loans`;
#   - the same figures summed from the rollup table `stats_cells` (the floor for finmatch).
#   benches/stats.sh sqlite|postgres [loans]      (FINMATCH_BIN=path: measure that binary)
# The seeded database is kept under target/bench-stats-<backend>-<loans> and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
loans=${2:-100000}
port=18991
work="$PWD/target/bench-stats-$backend-$loans"
mkdir -p "$work"
server=""
trap 'kill $server 2>/dev/null || true' EXIT
bin=${FINMATCH_BIN:-./target/release/finmatch}
[ -n "${FINMATCH_BIN:-}" ] || cargo build --release -q
export FINMATCH_DATA_DIR="$work" FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
# A benchmark is one client at full speed: the per-token rate limit would measure itself.
export FINMATCH_RATE_LIMIT=0 FINMATCH_RATE_LIMIT_ANON=0
schema="bench_stats_$loans"
if [ "$backend" = postgres ]; then
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3D$schema"
fi
if [ ! -f "$work/seeded" ]; then
  if [ "$backend" = postgres ]; then
    psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema"
  else
    rm -f "$work"/finmatch.db*
  fi
  # A small world through the use cases (banks, products, regions, demo users), grown to size
  # in bulk (benches/stats_world.py: the use cases would take hours), its cells rebuilt.
  "$bin" seed-demo --products 1000 --enterprises 200 --demands 100 \
    --loans 50 --other-matches 50 > "$work/seed.log"
  if [ "$backend" = postgres ]; then target="$DATABASE_URL"; else target="$work/finmatch.db"; fi
  /usr/bin/time -f "bulk rows: %e s" python3 benches/stats_world.py "$backend" "$target" "$loans" 100000 >> "$work/seed.log" 2>&1
  /usr/bin/time -f "rebuild-stats: %e s, %M KB peak" "$bin" rebuild-stats >> "$work/seed.log" 2>&1
  touch "$work/seeded"
fi
cat "$work/seed.log" | grep -v "^  \|demo users"
"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
token=$(curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"bench-admin-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for path in "/api/v1/stats/overview" "/api/v1/stats/breakdown?by=quarter" "/api/v1/stats/banks" \
            "/api/v1/stats/overview?from=2025-03-17&to=2026-02-11&region_prefix=37" \
            "/api/v1/stats/breakdown?by=bank" "/api/v1/stats/breakdown?by=qualification" \
            "/api/v1/stats/bridge-funds"; do
  echo "-- GET $path"
  wrk -t1 -c1 -d15s --latency -H "authorization: Bearer $token" "http://127.0.0.1:$port$path" | grep -E " 50%| 90%|Requests/sec|Non-2xx"
done

if [ "$backend" = postgres ]; then
  quarter="to_char(disbursed_on, 'YYYY-\"Q\"Q')"; cell_quarter="to_char(period, 'YYYY-\"Q\"Q')"
else
  quarter="strftime('%Y', disbursed_on) || '-Q' || ((CAST(strftime('%m', disbursed_on) AS INTEGER) + 2) / 3)"
  cell_quarter="strftime('%Y', period) || '-Q' || ((CAST(strftime('%m', period) AS INTEGER) + 2) / 3)"
fi
queries=(
  "scan, overview loans|SELECT COUNT(*), SUM(amount_fen), COUNT(DISTINCT enterprise_id), SUM(CASE WHEN credit THEN amount_fen ELSE 0 END) FROM loans"
  "scan, by quarter|SELECT $quarter, COUNT(*), SUM(amount_fen), COUNT(DISTINCT enterprise_id) FROM loans GROUP BY 1"
  "rollup, overview loans|SELECT COUNT(*), SUM(n), SUM(amount_fen), SUM(credit_fen) FROM stats_cells WHERE fact = 'loan' AND dim = '' AND grain = 'month'"
  "rollup, by quarter|SELECT $cell_quarter, SUM(n), SUM(amount_fen) FROM stats_cells WHERE fact = 'loan' AND dim = '' AND grain = 'month' GROUP BY 1"
)
for q in "${queries[@]}"; do
  name=${q%%|*}; sql=${q#*|}
  if [ "$backend" = postgres ]; then
    t=$(for _ in $(seq 1 11); do psql -q "$DATABASE_URL" -c '\timing on' -c "$sql" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; done | sort -n | sed -n 6p)
    echo "-- hand-written SQL ($name): p50 $t ms"
  else
    python3 - "$work/finmatch.db" "$sql" "$name" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); q = sys.argv[2]
ts = []
for _ in range(11):
    t = time.perf_counter(); c.execute(q).fetchall(); ts.append(time.perf_counter() - t)
ts.sort(); print(f"-- hand-written SQL ({sys.argv[3]}): p50 {ts[len(ts)//2]*1000:.2f} ms")
PY
  fi
done
