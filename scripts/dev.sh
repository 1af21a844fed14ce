#!/usr/bin/env bash
# The one command that runs the whole local stack: sets up what is missing, builds the edge, starts
# PostgreSQL (private data dir under .local/), the local origin and the edge, and prints the URL.
# Ctrl-C stops everything.
#   scripts/dev.sh          the Workers edge: `wrangler dev` serving the release worker
#   scripts/dev.sh --spin   the Spin edge: `wasmtime serve` serving the Spin component (its dev composition;
#                           see scripts/build-spin.sh), variables from spin.dev.env and SPIN_VARIABLE_*
#   Ports: EDGE_PORT (8787), ORIGIN_PORT (4000), PG_PORT (54329).
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/stack.sh"
cd "$ROOT"

EDGE_RUNTIME=workers
case "${1:-}" in
  "") ;;
  --spin) EDGE_RUNTIME=spin ;;
  *) die "usage: scripts/dev.sh [--spin]" ;;
esac

"$ROOT/scripts/setup.sh"
if [ "$EDGE_RUNTIME" = spin ]; then
  log "building the Spin component (release, wasm32-wasip2) and its dev composition"
  build=build-spin.sh edge_log=spin.log
else
  log "building the worker (release wasm)"
  build=build-worker.sh edge_log=wrangler.log
fi
"$ROOT/scripts/$build" >"$ROOT/.local-build.log" 2>&1 || { tail -n 40 "$ROOT/.local-build.log" >&2; die "$EDGE_RUNTIME build failed"; }
rm -f "$ROOT/.local-build.log"

STATE=$ROOT/.local/dev
PG_PORT=${PG_PORT:-54329} ORIGIN_PORT=${ORIGIN_PORT:-4000} EDGE_PORT=${EDGE_PORT:-8787}
trap 'status=$?; trap - INT TERM EXIT; echo; log "stopping"; stack_down; exit $status' EXIT
trap 'exit 130' INT TERM
stack_up

cat <<MSG

  Momentum Edge ($EDGE_RUNTIME) is running at http://127.0.0.1:$EDGE_PORT
    curl -H 'x-api-key: momentum-local-dev-key' 'http://127.0.0.1:$EDGE_PORT/courses?category=leadership&limit=20'
  Logs: .local/dev/$edge_log, .local/dev/origin.log   ·   Ctrl-C stops everything.

MSG
# Stay in the foreground until Ctrl-C or until a part of the stack dies.
while :; do
  for pid in "${STACK_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null || die "a process of the stack exited; see .local/dev/*.log"
  done
  sleep 1
done
