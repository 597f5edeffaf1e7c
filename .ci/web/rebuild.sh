#!/usr/bin/env bash
# The console's bundle (web/dist, embedded by the binary) must be what web/ builds: a clean
# `npm ci` and `npm run build` (which regenerates the API types from openapi/openapi.json, so
# a contract change that breaks the console breaks here) must leave web/ unchanged.
set -euo pipefail
cd "$(dirname "$0")/../../web"
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build
cd ..
if ! git diff --quiet --exit-code -- web ':!web/node_modules' || [ -n "$(git status --porcelain -- web/dist web/src)" ]; then
  echo "web/: the committed bundle or generated types differ from a fresh build:" >&2
  git status --porcelain -- web ':!web/node_modules' >&2
  git diff --stat -- web >&2
  exit 1
fi
echo "web/dist is reproducible from web/"
