#!/usr/bin/env bash
# The console in a real browser: BINARY (a release build in CI) serves a fresh seeded world on
# SQLite; web/e2e/console.mjs drives Debian's chromium through playwright-core over each role's
# main flow and saves a screenshot of each home in SHOTS_DIR.
#
#   bash .ci/web/browser.sh BINARY SHOTS_DIR [PORT]
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 BINARY SHOTS_DIR [PORT]" >&2; exit 2; }
BINARY=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SHOTS=$(mkdir -p "$2" && cd "$2" && pwd)
PORT=${3:-18591}
cd "$(dirname "$0")/../../web"
# chromium, and CJK fonts so that the screenshots show the Chinese text.
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
fi
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --loglevel=error

WORK=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
export DATABASE_URL="sqlite://$WORK/finmatch.db" FINMATCH_DATA_DIR="$WORK" FINMATCH_LOG=warn
export FINMATCH_ADMIN_PASSWORD="browser-admin-password"
"$BINARY" seed-demo >/dev/null
FINMATCH_LISTEN="127.0.0.1:$PORT" "$BINARY" serve >"$WORK/server.log" 2>&1 &
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/readyz" >/dev/null 2>&1 && break
  sleep 0.5
done
node e2e/console.mjs "http://127.0.0.1:$PORT" "$FINMATCH_ADMIN_PASSWORD" "$SHOTS"
