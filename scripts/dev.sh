#!/usr/bin/env bash
# The one command that runs the whole local stack: sets up what is missing, builds the worker, starts
# PostgreSQL (private data dir under .local/), the local origin and `wrangler dev`, and prints the URL.
# Ctrl-C stops everything.
#   Ports: EDGE_PORT (8787), ORIGIN_PORT (4000), PG_PORT (54329).
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/stack.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"
log "building the worker (release wasm)"
"$ROOT/scripts/build-worker.sh" >"$ROOT/.local-build.log" 2>&1 || { tail -n 40 "$ROOT/.local-build.log" >&2; die "worker build failed"; }
rm -f "$ROOT/.local-build.log"

STATE=$ROOT/.local/dev
PG_PORT=${PG_PORT:-54329} ORIGIN_PORT=${ORIGIN_PORT:-4000} EDGE_PORT=${EDGE_PORT:-8787}
trap 'trap - INT TERM EXIT; echo; log "stopping"; stack_down' INT TERM EXIT
stack_up

cat <<MSG

  Momentum Edge is running at http://127.0.0.1:$EDGE_PORT
    curl 'http://127.0.0.1:$EDGE_PORT/courses?category=leadership&limit=20'
  Logs: .local/dev/wrangler.log, .local/dev/origin.log   ·   Ctrl-C stops everything.

MSG
# Stay in the foreground until Ctrl-C or until a part of the stack dies.
while :; do
  for pid in "${STACK_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a process of the stack exited; see .local/dev/*.log"
  done
  sleep 1
done
