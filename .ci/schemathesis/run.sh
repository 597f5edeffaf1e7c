#!/usr/bin/env bash
# schemathesis against a live finmatch with a seeded world, once per role, so that the success
# paths (creates, reads, lifecycle actions) answer 2xx and their responses are checked too.
#
#   bash .ci/schemathesis/run.sh BINARY DATABASE_URL PORT
#
# 1. BINARY seed-demo fills DATABASE_URL with a small demo world (password demo-password);
#    finmatch serves it on 127.0.0.1:PORT from a fresh data dir; a local webhook sink on
#    127.0.0.1 receives its deliveries (FINMATCH_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8).
# 2. world.py setup logs in one user of each role and adds what the seed lacks (guaranteed
#    loans, claims in every state, qualifications, webhooks, policies, targets, matches).
# 3. For each role: world.py pools writes the ids the role can use right now; schemathesis
#    runs with that role's token and hooks.py, which aims path parameters and body ids at
#    them and makes most positive bodies valid (see hooks.py).
# 4. report.py prints the 2xx count per operation and role, and fails below FM_ST_MIN_COVERAGE
#    percent of the document's operations with a 2xx.
# Exits non-zero if schemathesis finds a failure for any role or coverage is too low.
#
# Knobs (environment): FM_ST_MAX_EXAMPLES (default 25), FM_ST_WORKERS (2), FM_ST_SEED
# (a fixed seed; "random" for a new one each run), FM_ST_ROLES (space-separated subset),
# FM_ST_MIN_COVERAGE (percent, default 90), FM_ST_REPORT_DIR (keep the HAR/JUnit reports there;
# by default they live in a temporary directory removed on exit).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../lib/database.sh
. "$HERE/../lib/database.sh"
ci_check_args schemathesis "$@"
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

case "$DB_URL" in
  postgres*) BACKEND=postgres ;;
  sqlite*) BACKEND=sqlite ;;
  *) BACKEND=other ;;
esac
log() { printf '\n==> schemathesis[%s]: %s\n' "$BACKEND" "$*"; }
START=$(date +%s)

MAX_EXAMPLES=${FM_ST_MAX_EXAMPLES:-25}
WORKERS=${FM_ST_WORKERS:-2}
SEED=${FM_ST_SEED:-20261201}
ROLES=${FM_ST_ROLES:-enterprise bank guarantor finance_office admin}
MIN_COVERAGE=${FM_ST_MIN_COVERAGE:-90}
ADMIN_PASSWORD=ci-admin-password
# Not fuzzed: POST /auth/logout revokes the very token the
# run presents, so every later request would answer 401.
EXCLUDE='^/api/v1/auth/logout$'
# The five checks .ci/run uses, plus four that hold for a correct finmatch:
#   negative_data_rejection  a schema-invalid request is refused with 4xx;
#   ignored_auth             a request that answered 2xx answers 401 without / with a bad token;
#   use_after_free, ensure_resource_availability  (stateful phase, inferred links) a deleted
#                            resource is gone, a created one can be read back by its creator.
# Not used: positive_data_acceptance (it calls every 4xx to a schema-valid request a failure,
# but business rules - a credit code's checksum, min <= max, an opaque cursor - are rightly
# 422/400); unsupported_method (finmatch answers 404, not 405, to an undeclared method on a
# declared path); missing_required_header and allow_header_conformance (nothing to check).
CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,ignored_auth,use_after_free,ensure_resource_availability

# --- the venv (as .ci/run makes it) -----------------------------------------------------------
VENV=target/ci-venv-$(sha256sum .ci/schemathesis-requirements.txt | cut -c1-12)
if [ ! -x "$VENV/bin/schemathesis" ]; then
  log "creating $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r .ci/schemathesis-requirements.txt
fi
ST=$ROOT/$VENV/bin/schemathesis
PY=$ROOT/$VENV/bin/python
export PYTHONDONTWRITEBYTECODE=1

# --- a fresh finmatch on a seeded world --------------------------------------------------------
WORK=$(mktemp -d)
REPORTS=${FM_ST_REPORT_DIR:-$WORK/reports}
mkdir -p "$WORK/data" "$REPORTS"
SERVER_PID= SINK_PID=
stop() { # pid
  local pid=$1
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop "$SERVER_PID"
  stop "$SINK_PID"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# schemathesis fires thousands of requests from a handful of tokens and one address; the rate
# limits have a test of their own (tests/api/operations.rs), so they are off here.
export DATABASE_URL="$DB_URL" FINMATCH_DATA_DIR="$WORK/data" FINMATCH_LISTEN="127.0.0.1:$PORT" \
  FINMATCH_ADMIN_PASSWORD="$ADMIN_PASSWORD" FINMATCH_LOG=warn \
  FINMATCH_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8 FINMATCH_RATE_LIMIT=0 FINMATCH_RATE_LIMIT_ANON=0

log "seed-demo"
"$BINARY" seed-demo --banks 3 --products 30 --enterprises 30 --enterprise-users 30 \
  --demands 300 --loans 60 --other-matches 60 >"$WORK/seed.log" 2>&1 \
  || { cat "$WORK/seed.log"; exit 1; }
head -n 1 "$WORK/seed.log"

"$PY" "$HERE/sink.py" "$WORK/sink.port" &
SINK_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/sink.port" ] && break; sleep 0.1; done
export FM_SINK_URL="http://127.0.0.1:$(cat "$WORK/sink.port")/hook"

"$BINARY" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
ready=
for _ in $(seq 1 600); do
  if curl -fs "$BASE/readyz" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  echo "schemathesis: finmatch did not become ready; server log:" >&2
  tail -n 50 "$WORK/server.log" >&2
  exit 1
fi
curl -fs "$BASE/openapi.json" -o "$WORK/openapi.json"

log "building the world (world.py setup)"
"$PY" "$HERE/world.py" setup "$BASE" "$ADMIN_PASSWORD" "$WORK"

# --- schemathesis, once per role ------------------------------------------------------------------
FAILED=()
HARS=()
for role in $ROLES; do
  log "$role: pools"
  "$PY" "$HERE/world.py" pools "$BASE" "$WORK" "$role"
  token=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["tokens"][sys.argv[2]])' "$WORK/tokens.json" "$role")
  log "$role: schemathesis (max-examples $MAX_EXAMPLES, workers $WORKERS, seed $SEED)"
  seed_args=()
  [ "$SEED" = random ] || seed_args=(--seed "$SEED")
  role_start=$(date +%s)
  # From $WORK: schemathesis keeps nothing in the repository.
  if (cd "$WORK" && SCHEMATHESIS_HOOKS="$HERE/hooks.py" FM_FIXTURE="$WORK/fixture-$role.json" \
      "$ST" --config-file "$HERE/schemathesis.toml" run "$BASE/openapi.json" \
      --header "Authorization: Bearer $token" \
      --checks "$CHECKS" \
      --max-examples "$MAX_EXAMPLES" --workers "$WORKERS" "${seed_args[@]}" \
      --exclude-path-regex "$EXCLUDE" \
      --suppress-health-check all --request-timeout 20 --no-color \
      --report har,junit --report-dir "$REPORTS/$role" \
      --report-har-path "$REPORTS/$role/har.json" --report-junit-path "$REPORTS/$role/junit.xml"); then
    log "$role: passed in $(( $(date +%s) - role_start ))s"
  else
    log "$role: FAILED in $(( $(date +%s) - role_start ))s"
    FAILED+=("$role")
  fi
  HARS+=("$role=$REPORTS/$role/har.json")
done

# --- the 2xx table and the coverage gate --------------------------------------------------------
COVERAGE_OK=1
FM_ST_EXCLUDE="$EXCLUDE" "$PY" "$HERE/report.py" "$BACKEND" "$WORK/openapi.json" "$MIN_COVERAGE" "${HARS[@]}" || COVERAGE_OK=
log "took $(( $(date +%s) - START ))s"
if [ -n "${FAILED[*]}" ]; then
  echo "schemathesis found failures on $BACKEND for: ${FAILED[*]} (listed above the coverage line)" >&2
  # FINMATCH_LOG=warn logs every 4xx; only errors say something about a failure.
  # (actix's "invalid Header provided" is schemathesis probing for NUL bytes in headers.)
  if grep '"level":"ERROR"' "$WORK/server.log" | grep -qv 'invalid Header provided'; then
    echo "server errors:" >&2
    grep '"level":"ERROR"' "$WORK/server.log" | grep -v 'invalid Header provided' | tail -n 20 >&2
  fi
  exit 1
fi
if [ -z "$COVERAGE_OK" ]; then
  echo "schemathesis on $BACKEND: too few operations answered 2xx (see the table)" >&2
  exit 1
fi
