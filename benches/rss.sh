#!/usr/bin/env bash
# Memory bounds (RSS of a release finmatch, read from /proc/PID/status):
#  - 300 concurrent logins: argon2 (19 MiB a hash) runs on FINMATCH_HASH_CONCURRENCY slots;
#  - 9,000 recommendation reads by one enterprise, each a different cursor page (limit=200,
#    include_ineligible=true over 10,000 products): the result cache is bounded by bytes;
#  - 20,000 and then 400,000 anonymous calls, each from a new client address, with the rate
#    limits on: the per-address limiter forgets idle keys, so RSS must not grow with the count.
#   benches/rss.sh sqlite|postgres          (results in BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
port=18991
work=$(mktemp -d)
server=""
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q
export FINMATCH_DATA_DIR="$work" FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
# A benchmark is one client at full speed: the per-token rate limit would measure itself.
export FINMATCH_RATE_LIMIT=0 FINMATCH_RATE_LIMIT_ANON=0
if [ "$backend" = postgres ]; then
  psql -q postgres://postgres@127.0.0.1:5432/test -c "DROP SCHEMA IF EXISTS bench_rss CASCADE; CREATE SCHEMA bench_rss"
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_rss"
fi
./target/release/finmatch seed-demo --products 10000 --demands 2000 > "$work/seed.log"; head -1 "$work/seed.log"
base="http://127.0.0.1:$port"
start() { # a fresh server process for each measurement
  kill $server 2>/dev/null || true; wait $server 2>/dev/null || true
  ./target/release/finmatch serve >"$work/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 50); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.2; done
}
start
token=$(curl -fs -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"demo_ent_1","password":"demo-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
demand=$(curl -fs "$base/api/v1/demands?limit=1" -H "authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

echo "== $backend: 9,000 cursor pages of recommendations"
python3 benches/rss_load.py "$server" "$base" cursors 9000 "$token" "$demand"
start
echo "== $backend: 300 concurrent logins"
python3 benches/rss_load.py "$server" "$base" logins 300
for n in 20000 400000; do
  FINMATCH_RATE_LIMIT=1200 FINMATCH_RATE_LIMIT_ANON=600 FINMATCH_TRUSTED_PROXIES=127.0.0.1 start
  echo "== $backend: $n anonymous calls, each from a new address (rate limits on)"
  python3 benches/rss_load.py "$server" "$base" addresses "$n"
done
