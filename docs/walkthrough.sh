#!/usr/bin/env bash
# Runs the ```sh blocks of README.md's "Using the API" section VERBATIM, top to bottom, in one
# bash shell with `set -euo pipefail`, so the README and what CI runs cannot drift apart.
#
#   bash docs/walkthrough.sh --serve target/debug/finmatch
#       starts its own fresh finmatch (SQLite in a temporary directory) on 127.0.0.1:8080,
#       waits for /readyz, runs the blocks and stops the server again;
#   FINMATCH_ADMIN_PASSWORD=… bash docs/walkthrough.sh
#       runs the blocks against a finmatch already listening on localhost:8080, which must be
#       fresh (nothing seeded, started with that admin password);
#   bash docs/walkthrough.sh --print
#       prints the script it would run and exits.
#
# Needs bash, curl and jq (and GNU date, as the README's blocks do). Exits non-zero, naming the
# block and the README line, when any command of any block fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readme="$here/../README.md"
serve=""
print_only=0
port=8080

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  echo "options: --serve BINARY | --print | --readme FILE | -h"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --serve) [ $# -ge 2 ] || { echo "walkthrough: --serve needs the finmatch binary" >&2; exit 2; }
             serve=$2; shift 2 ;;
    --serve=*) serve=${1#--serve=}; shift ;;
    --print) print_only=1; shift ;;
    --readme) [ $# -ge 2 ] || { echo "walkthrough: --readme needs a file" >&2; exit 2; }
              readme=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "walkthrough: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

for tool in curl jq; do
  command -v "$tool" >/dev/null || { echo "walkthrough: $tool is required" >&2; exit 2; }
done
[ -f "$readme" ] || { echo "walkthrough: $readme not found" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/finmatch-walkthrough.XXXXXX")
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- extract: every ```sh … ``` block between "## Using the API" and the next "## " heading ---
script="$work/walkthrough-blocks.sh"
awk -v readme="$(basename "$readme")" '
  BEGIN { out = 0 }
  function emit(s) { print s; out++ }
  /^## / { insection = ($0 ~ /^## Using the API[[:space:]]*$/) }
  !insection { next }
  inblock && /^```[[:space:]]*$/ { inblock = 0; next }
  inblock { emit($0); next }
  /^```sh[[:space:]]*$/ {
    n++; inblock = 1
    # the marker line: which block runs, where it starts in the README and in this script
    emit(sprintf("__wt_block=%d; __wt_readme_line=%d; __wt_script_line=%d; printf \"\\n--- block %d (%s line %d)\\n\" >&2", n, NR + 1, out + 2, n, readme, NR + 1))
    next
  }
  END {
    if (inblock) { print "walkthrough: unterminated ```sh block in " readme > "/dev/stderr"; exit 3 }
    if (n == 0) { print "walkthrough: no ```sh block under \"## Using the API\" in " readme > "/dev/stderr"; exit 3 }
    print "__wt_blocks=" n
  }
' "$readme" > "$work/blocks.body"
blocks=$(sed -n 's/^__wt_blocks=//p' "$work/blocks.body" | tail -n 1)
sed -i '$d' "$work/blocks.body"   # drop the count line

{
  cat <<'PRELUDE'
set -euo pipefail
shopt -s inherit_errexit
__wt_block=0; __wt_readme_line=0; __wt_script_line=0; __wt_cmd=""; __wt_lineno=0
trap '__wt_cmd=$BASH_COMMAND; __wt_lineno=$LINENO' ERR
trap '__wt_rc=$?
if [ "$__wt_rc" -ne 0 ]; then
  if [ "$__wt_block" -eq 0 ]; then
    printf "walkthrough: failed before the first block (exit %s)\n" "$__wt_rc" >&2
  else
    __wt_at=""
    if [ "$__wt_lineno" -ge "$__wt_script_line" ] 2>/dev/null; then
      __wt_at=" near line $(( __wt_readme_line + __wt_lineno - __wt_script_line ))"
    fi
    __wt_first=${__wt_cmd%%$'"'"'\n'"'"'*}
    [ "$__wt_first" = "$__wt_cmd" ] || __wt_first="$__wt_first …"
    printf "walkthrough: block %s (starting at README.md line %s) FAILED%s, exit %s: %s\n" \
      "$__wt_block" "$__wt_readme_line" "$__wt_at" "$__wt_rc" "$__wt_first" >&2
  fi
fi' EXIT
PRELUDE
} > "$script"
prelude_lines=$(wc -l < "$script")
# The markers count lines within the body; shift them by the prelude.
awk -v off="$prelude_lines" '
  /^__wt_block=[0-9]+; __wt_readme_line=[0-9]+; __wt_script_line=[0-9]+;/ {
    match($0, /__wt_script_line=[0-9]+/)
    v = substr($0, RSTART + 17, RLENGTH - 17) + off
    $0 = substr($0, 1, RSTART - 1) "__wt_script_line=" v substr($0, RSTART + RLENGTH)
  }
  { print }
' "$work/blocks.body" >> "$script"

if [ "$print_only" -eq 1 ]; then
  cat "$script"
  exit 0
fi

# --- the server ---
if [ -n "$serve" ]; then
  [ -x "$serve" ] || { echo "walkthrough: $serve is not an executable finmatch binary" >&2; exit 2; }
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz"; then
    echo "walkthrough: something already listens on 127.0.0.1:$port; stop it first" >&2
    exit 2
  fi
  export FINMATCH_ADMIN_PASSWORD="${FINMATCH_ADMIN_PASSWORD:-walkthrough-admin-$RANDOM$RANDOM}"
  mkdir "$work/data"
  DATABASE_URL="sqlite://$work/data/finmatch.db" FINMATCH_DATA_DIR="$work/data" \
    FINMATCH_LISTEN="127.0.0.1:$port" FINMATCH_LOG="${FINMATCH_LOG:-warn}" \
    "$serve" serve > "$work/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 120); do
    if curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz"; then break; fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "walkthrough: finmatch exited before it was ready:" >&2
      cat "$work/server.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  curl -sf -o /dev/null --max-time 1 "http://127.0.0.1:$port/readyz" || {
    echo "walkthrough: finmatch did not become ready within 60 s:" >&2
    tail -n 50 "$work/server.log" >&2
    exit 1
  }
else
  : "${FINMATCH_ADMIN_PASSWORD:?export the admin password of the finmatch on localhost:$port, or use --serve BINARY}"
  export FINMATCH_ADMIN_PASSWORD
  curl -sf -o /dev/null --max-time 2 "http://localhost:$port/readyz" || {
    echo "walkthrough: no ready finmatch on localhost:$port (start one, or use --serve BINARY)" >&2
    exit 2
  }
fi

# --- run: one shell, in a scratch directory (downloads land there) ---
mkdir "$work/cwd"
if (cd "$work/cwd" && bash "$script" < /dev/null); then
  echo "walkthrough: $blocks blocks passed"
else
  rc=$?
  if [ -n "$serve" ] && [ -s "$work/server.log" ]; then
    echo "walkthrough: last lines of the server log:" >&2
    tail -n 20 "$work/server.log" >&2
  fi
  echo "walkthrough: FAILED (exit $rc)" >&2
  exit "$rc"
fi
