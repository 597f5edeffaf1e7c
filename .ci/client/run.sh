#!/usr/bin/env bash
# A client generated from the SERVED OpenAPI document drives the whole finmatch flow.
#
#   bash .ci/client/run.sh target/debug/finmatch
#
# 1. a venv keyed by the hash of .ci/client/requirements.txt (target/ci-client-venv-<hash>),
#    holding exactly the pinned packages (checked with pip freeze);
# 2. a fresh finmatch from BINARY on a free loopback port, in a temporary directory;
# 3. the served /openapi.json, and a client generated from it with openapi-python-client
#    (any generator warning fails the run, except formatting-related ones);
# 4. scenario.py, which uses only the generated functions and models.
# Exits non-zero on any failure; the server is stopped on every exit.
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 BINARY" >&2
  exit 2
fi
BINARY=$1
if [ ! -x "$BINARY" ]; then
  echo "client: $BINARY is not an executable" >&2
  exit 2
fi
BINARY=$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"

log() { printf '\n==> client: %s\n' "$*"; }

# --- the venv --------------------------------------------------------------------------------
REQ=.ci/client/requirements.txt
VENV=target/ci-client-venv-$(sha256sum "$REQ" | cut -c1-12)
PY=$VENV/bin/python
# The pins as pip freeze prints them (no comments, no blank lines), compared case-insensitively.
want_pins() { grep -Ev '^[[:space:]]*(#|$)' "$REQ" | tr 'A-Z' 'a-z' | sort; }
have_pins() { "$VENV/bin/pip" freeze --disable-pip-version-check 2>/dev/null | tr 'A-Z' 'a-z' | sort; }
if [ ! -f "$VENV/.complete" ] || [ "$(want_pins)" != "$(have_pins)" ]; then
  log "creating $VENV"
  rm -rf "$VENV"
  mkdir -p target
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --no-input -r "$REQ"
  if [ "$(want_pins)" != "$(have_pins)" ]; then
    echo "client: the venv does not hold exactly the pinned packages of $REQ:" >&2
    diff <(want_pins) <(have_pins) >&2 || true
    exit 1
  fi
  touch "$VENV/.complete"
fi
# ruff (a pinned dependency of the generator) formats the generated code: it must be on PATH.
export PATH="$ROOT/$VENV/bin:$PATH"

# --- a fresh finmatch ------------------------------------------------------------------------
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start_server() {
  local port=$1
  mkdir -p "$WORK/data"
  DATABASE_URL="sqlite://$WORK/data/finmatch.db" FINMATCH_DATA_DIR="$WORK/data" \
    FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_ADMIN_PASSWORD="client-admin-password" \
    FINMATCH_LOG=warn FINMATCH_WEBHOOK_ALLOW_NETWORKS=127.0.0.0/8 \
    "$BINARY" serve >>"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 120); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" 2>/dev/null || true
      SERVER_PID=
      return 1
    fi
    curl -fs --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

PORT=
for _ in 1 2 3; do
  PORT=$(free_port)
  if start_server "$PORT"; then break; fi
  if [ -n "$SERVER_PID" ]; then
    echo "client: finmatch did not become ready on port $PORT; server log:" >&2
    tail -n 50 "$WORK/server.log" >&2
    exit 1
  fi
  echo "client: finmatch exited on port $PORT (taken?), trying another" >&2
  PORT=
done
if [ -z "$PORT" ]; then
  echo "client: finmatch did not start; server log:" >&2
  tail -n 50 "$WORK/server.log" >&2
  exit 1
fi
BASE_URL="http://127.0.0.1:$PORT"
log "finmatch $BINARY on $BASE_URL"

# --- the served document and the generated client --------------------------------------------
curl -fsS --max-time 10 "$BASE_URL/openapi.json" -o "$WORK/openapi.json"
log "generating the client from $BASE_URL/openapi.json"
GEN_RC=0
"$VENV/bin/openapi-python-client" generate --path "$WORK/openapi.json" \
  --output-path "$WORK/gen/finmatch_client" --meta none --config .ci/client/config.yaml \
  >"$WORK/generate.log" 2>&1 || GEN_RC=$?
# Every line the generator prints, less the expected ones, is a warning: it fails the run. The
# formatting-related ones (ruff missing or not on PATH) are tolerated.
UNEXPECTED=$("$PY" - "$WORK/generate.log" <<'EOF'
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
expected = [
    r"Generating .*",
    r"Warning\(s\) encountered while generating\. Client was generated, but some pieces may be missing",
    r"If you believe this was a mistake or this tool is missing a feature you need, please open an issue at .*",
]
out, i = [], 0
while i < len(lines):
    line = lines[i].strip()
    if not line or any(re.fullmatch(p, line) for p in expected):
        i += 1
        continue
    # A formatting integration that could not run: "Skipping Integration" then "<cmd> is not in PATH".
    if line == "Skipping Integration":
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j < len(lines) and re.fullmatch(r"(ruff|black|isort) is not in PATH", lines[j].strip()):
            print(f"client: tolerated a formatting warning: {lines[j].strip()}", file=sys.stderr)
            i = j + 1
            continue
    out.append(lines[i])
    i += 1
print("\n".join(out))
EOF
)
if [ "$GEN_RC" -ne 0 ] || [ -n "$UNEXPECTED" ] || [ ! -f "$WORK/gen/finmatch_client/__init__.py" ]; then
  echo "client: openapi-python-client reported problems with the served document (exit $GEN_RC):" >&2
  cat "$WORK/generate.log" >&2
  GEN_FAILED=1
else
  GEN_FAILED=0
  echo "client: generated $(find "$WORK/gen/finmatch_client/api" -name '*.py' ! -name '__init__.py' | wc -l) operations, $(find "$WORK/gen/finmatch_client/models" -name '*.py' ! -name '__init__.py' | wc -l) models"
fi

# --- the scenario ----------------------------------------------------------------------------
SCEN_RC=0
if [ -f "$WORK/gen/finmatch_client/__init__.py" ]; then
  log "scenario"
  PYTHONPATH="$WORK/gen" FINMATCH_BASE_URL="$BASE_URL" FINMATCH_OPENAPI="$WORK/openapi.json" \
    FINMATCH_ADMIN_PASSWORD="client-admin-password" PYTHONDONTWRITEBYTECODE=1 \
    "$PY" .ci/client/scenario.py || SCEN_RC=$?
else
  SCEN_RC=1
fi

if [ "$SCEN_RC" -ne 0 ] || [ "$GEN_FAILED" -ne 0 ]; then
  echo "client: FAILED (generator problems: $GEN_FAILED, scenario exit: $SCEN_RC); last server log lines:" >&2
  tail -n 30 "$WORK/server.log" >&2
  exit 1
fi
log "client scenario passed"
