#!/usr/bin/env bash
# Read-path benchmarks (issue 14, points 3–5) with wrk against a release build of finmatch.
#   benches/reads.sh sqlite|postgres [binary] [seconds]
# World: `seed-demo` with 10,000 products and 5,000 enterprises (through the use cases), then
# open demands copied in bulk by SQL, first up to 20,000 and then up to 200,000 (reads only need
# them open; the copies bump a change counter like any demand write, but skip the rollups, so
# report figures are not meaningful in this world). Everything is measured in one run, against
# `/healthz` in the same run:
#  - a cached recommendation page (one demand, an enterprise's token): req/s, p50, p99;
#  - recommendations over 20,000 distinct demands read round-robin (the admin's token), after
#    one warming pass over them: req/s;
#  - an uncached recommendation (each demand read for the first time, one connection): p50;
#  - candidates of one product (the bank's token) at 20,000 and at 200,000 open demands: p50.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
bin=${2:-./target/release/finmatch}
secs=${3:-10}
port=18992
work=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

[ "$bin" = ./target/release/finmatch ] && cargo build --release -q
export FINMATCH_DATA_DIR="$work" FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
# A benchmark is one client at full speed: the per-token rate limit would measure itself.
export FINMATCH_RATE_LIMIT=0 FINMATCH_RATE_LIMIT_ANON=0
export FINMATCH_PASSWORD_HASH_COST=test
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP SCHEMA IF EXISTS benchr CASCADE; CREATE SCHEMA benchr"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbenchr"
  sql() { psql -q "postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbenchr" -v ON_ERROR_STOP=1 -Atc "$1"; }
else
  sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); r=c.execute(sys.argv[2]).fetchall(); c.commit(); [print("|".join(map(str,x))) for x in r]' "$work/finmatch.db" "$1"; }
fi
start=$(date +%s)
"$bin" seed-demo --products 10000 --enterprises 5000 --demands 2000 --loans 50 --other-matches 50 > "$work/seed.log"
echo "seeded in $(( $(date +%s) - start )) s: $(head -1 "$work/seed.log")"

# Copies open demands (with needed_by cleared, so they stay open) until `$1` are open.
open_demands() { sql "SELECT count(*) FROM demands WHERE status = 'open' AND needed_by IS NULL"; }
fill_to() {
  local want=$1 have
  have=$(open_demands)
  [ "$have" -ge "$want" ] && return
  sql "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 200)
       INSERT INTO demands (enterprise_id, amount_fen, term_months, purpose, guarantee_methods,
         max_rate_units, preferred_product_types, needed_by, description, status, created_at,
         updated_at, region_code)
       SELECT enterprise_id, amount_fen, term_months, purpose, guarantee_methods, max_rate_units,
         preferred_product_types, NULL, description, 'open', created_at, updated_at, region_code
       FROM demands, k WHERE status = 'open' LIMIT $((want - have))" >/dev/null
  sql "UPDATE catalog_shards SET demands_version = demands_version + 1 WHERE shard = 0" >/dev/null
}
fill_to 20000

"$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
base="http://127.0.0.1:$port"
login() {
  curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$2\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ent=$(login demo_ent_1 demo-password)
bank=$(login demo_bank_1 demo-password)
admin=$(login admin bench-admin-password)
demand=$(curl -fs "$base/api/v1/demands?limit=1" -H "authorization: Bearer $ent" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
bank_id=$(curl -fs "$base/api/v1/me" -H "authorization: Bearer $bank" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
product=$(curl -fs "$base/api/v1/products?bank_id=$bank_id&status=active&limit=1" -H "authorization: Bearer $bank" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
sql "SELECT id FROM demands WHERE status = 'open' AND needed_by IS NULL ORDER BY id DESC LIMIT 20000" > "$work/ids"
products=$(sql "SELECT count(*) FROM products WHERE status = 'active'")
curl -fs "$base/api/v1/demands/$demand/recommendations?limit=10" -H "authorization: Bearer $ent" >/dev/null

pick() { grep -E "$1" | awk '{print $2}'; }
wrk_rate() { grep "Requests/sec" | awk '{print $2}'; }
echo "== $backend: $products active products, $(open_demands) open demands"
healthz=$(wrk -t2 -c16 -d"${secs}s" "$base/healthz" | wrk_rate)
echo "/healthz req/s: $healthz"
out=$(wrk -t2 -c16 -d"${secs}s" --latency -H "authorization: Bearer $ent" "$base/api/v1/demands/$demand/recommendations?limit=10")
rate=$(echo "$out" | wrk_rate)
echo "cached recommendations req/s: $rate  (÷ healthz $(python3 -c "print(round($rate/$healthz, 3))"))  p50 $(echo "$out" | pick ' 50%')  p99 $(echo "$out" | pick ' 99%')  non-2xx: $(echo "$out" | grep -c Non-2xx || true)"
# First reads of distinct demands, one connection: every one a miss.
out=$(wrk -t1 -c1 -d"${secs}s" --latency -s benches/roundrobin.lua -H "authorization: Bearer $admin" "$base" -- "$work/ids" 0)
echo "uncached recommendation (first read of each demand, 1 connection): p50 $(echo "$out" | pick ' 50%')  p99 $(echo "$out" | pick ' 99%')  req/s $(echo "$out" | wrk_rate)"
# Every demand read once (the cache warm), then read round-robin again: no cliff past the cache.
wrk -t2 -c16 -d20s -s benches/roundrobin.lua -H "authorization: Bearer $admin" "$base" -- "$work/ids" 1 >/dev/null
out=$(wrk -t2 -c16 -d"${secs}s" --latency -s benches/roundrobin.lua -H "authorization: Bearer $admin" "$base" -- "$work/ids" 1)
rate=$(echo "$out" | wrk_rate)
echo "20,000 distinct demands round-robin, warm, req/s: $rate  (÷ healthz $(python3 -c "print(round($rate/$healthz, 3))"))  p50 $(echo "$out" | pick ' 50%')  p99 $(echo "$out" | pick ' 99%')"
cand() {
  curl -fs "$base/api/v1/products/$product/candidates?limit=20" -H "authorization: Bearer $bank" >/dev/null
  out=$(wrk -t1 -c2 -d"${secs}s" --latency -H "authorization: Bearer $bank" "$base/api/v1/products/$product/candidates?limit=20")
  echo "candidates at $(open_demands) open demands: p50 $(echo "$out" | pick ' 50%')  p99 $(echo "$out" | pick ' 99%')  req/s $(echo "$out" | wrk_rate)"
}
cand
fill_to 200000
sleep 2
cand
echo "server RSS with $(open_demands) open demands and 10,000 products loaded: $(awk '/VmRSS/ {print $2, $3}' /proc/$server/status)"
