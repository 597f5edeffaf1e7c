#!/usr/bin/env bash
# HTTP benchmarks with wrk (Debian package `wrk`) against a release build of finmatch.
#   benches/http.sh sqlite|postgres [products] [demands]
# Seeds a fresh database (default 10,000 products, 200,000 open demands), then measures
#  - /healthz throughput and recommendations throughput in the same run (their ratio), and
#  - GET /products/{id}/candidates latency (p50) over all open demands.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
products=${2:-10000}
demands=${3:-200000}
port=18990
work=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q
export FINMATCH_DATA_DIR="$work" FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench"
fi
./target/release/finmatch seed-demo --products "$products" --demands "$demands" --enterprises 20000 > "$work/seed.log"; head -1 "$work/seed.log"
./target/release/finmatch serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done

login() {
  curl -fs -X POST "http://127.0.0.1:$port/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"demo-password\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}
ent=$(login demo_ent_1)
bank=$(login demo_bank_1)
demand=$(curl -fs "http://127.0.0.1:$port/api/v1/demands?limit=1" -H "authorization: Bearer $ent" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
bank_id=$(curl -fs "http://127.0.0.1:$port/api/v1/me" -H "authorization: Bearer $bank" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
product=$(curl -fs "http://127.0.0.1:$port/api/v1/products?bank_id=$bank_id&status=active&limit=1" -H "authorization: Bearer $bank" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
# Warm the caches once.
curl -fs "http://127.0.0.1:$port/api/v1/demands/$demand/recommendations?limit=10" -H "authorization: Bearer $ent" >/dev/null
curl -fs "http://127.0.0.1:$port/api/v1/products/$product/candidates?limit=20" -H "authorization: Bearer $bank" >/dev/null

echo "== $backend: $products products, $demands open demands"
echo "-- GET /healthz"
wrk -t2 -c16 -d10s "http://127.0.0.1:$port/healthz" | grep -E "Requests/sec|Latency"
echo "-- GET /api/v1/demands/$demand/recommendations?limit=10"
wrk -t2 -c16 -d10s -H "authorization: Bearer $ent" "http://127.0.0.1:$port/api/v1/demands/$demand/recommendations?limit=10" | grep -E "Requests/sec|Latency|Non-2xx"
echo "-- GET /api/v1/products/$product/candidates?limit=20 (latency distribution)"
wrk -t1 -c2 -d20s --latency -H "authorization: Bearer $bank" "http://127.0.0.1:$port/api/v1/products/$product/candidates?limit=20" | grep -E "Requests/sec| 50%| 90%| 99%|Non-2xx"
