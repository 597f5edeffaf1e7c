#!/usr/bin/env bash
# Scale-out on one PostgreSQL (issue 14, point 6): one finmatch instance, then two, behind a
# round-robin load generator, in one run.
#   benches/scaleout.sh [seconds]
# Writes: benches/writes.py (lifecycles, then POST /demands alone) with 16 workers, each request
# sent to the next instance in turn. Reads: wrk on a cached recommendation page, one wrk per
# instance at once (their sum), against one instance alone. The same small world as
# benches/writes.sh. On this 2-core machine both instances, PostgreSQL and the load generators
# share the same two cores, so the second instance cannot add CPU: what this shows is that
# instances add no contention of their own (no hot row, no lost freshness), not a speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
bin=${BIN:-./target/release/finmatch}
ports=(18994 18995)
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

[ "$bin" = ./target/release/finmatch ] && cargo build --release -q
pg="postgres://postgres@127.0.0.1:5432/test"
psql -q "$pg" -c "DROP SCHEMA IF EXISTS benchs CASCADE; CREATE SCHEMA benchs"
export DATABASE_URL="$pg?options=-csearch_path%3Dbenchs"
export FINMATCH_DATA_DIR="$work" FINMATCH_ADMIN_PASSWORD="bench-admin-password" FINMATCH_LOG=warn
# A benchmark is one client at full speed: the per-token rate limit would measure itself.
export FINMATCH_RATE_LIMIT=0 FINMATCH_RATE_LIMIT_ANON=0
export FINMATCH_PASSWORD_HASH_COST=test FINMATCH_DB_POOL_SIZE=${FINMATCH_DB_POOL_SIZE:-16}
export FINMATCH_JWT_SECRET="bench-secret-shared-by-every-instance-0123456789"
"$bin" seed-demo --products 200 --enterprises 40 --enterprise-users 40 --demands 40 --loans 0 --other-matches 0 > "$work/seed.log"
head -1 "$work/seed.log"
for port in "${ports[@]}"; do
  FINMATCH_LISTEN="127.0.0.1:$port" "$bin" serve >"$work/server-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
done
one="http://127.0.0.1:${ports[0]}"
two="$one,http://127.0.0.1:${ports[1]}"
for mode in lifecycle demands; do
  python3 benches/writes.py "$one" "$mode" 16 "$seconds" "$pg"
  python3 benches/writes.py "$two" "$mode" 16 "$seconds" "$pg"
done
token=$(curl -fs -X POST "$one/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"demo_ent_1","password":"demo-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
demand=$(curl -fs "$one/api/v1/demands?limit=1" -H "authorization: Bearer $token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
path="/api/v1/demands/$demand/recommendations?limit=10"
rate() { grep "Requests/sec" | awk '{print $2}'; }
echo "reads, one instance: $(wrk -t2 -c16 -d"${seconds}s" -H "authorization: Bearer $token" "$one$path" | rate) req/s"
wrk -t1 -c8 -d"${seconds}s" -H "authorization: Bearer $token" "http://127.0.0.1:${ports[1]}$path" > "$work/wrk2" &
w=$!
a=$(wrk -t1 -c8 -d"${seconds}s" -H "authorization: Bearer $token" "$one$path" | rate)
wait $w
b=$(rate < "$work/wrk2")
echo "reads, two instances at once: $a + $b = $(python3 -c "print(round($a + $b, 1))") req/s"
