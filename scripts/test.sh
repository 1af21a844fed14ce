#!/usr/bin/env bash
# The one command that sets up and runs every test:
#   1. setup (tools, targets, npm packages) and format check
#   2. unit tests: core (fake ports), origin-adapters, local-origin (incl. its wire tests over a private PostgreSQL)
#   3. the release worker build, then the real stack on test ports — PostgreSQL, local origin, wrangler dev —
#      and the suites in tests/ against it: the e2e contract suite, origin faults, the Data API adapter.
# Ports: TEST_EDGE_PORT (8797), TEST_ORIGIN_PORT (4100), TEST_PG_PORT (54339) — distinct from scripts/dev.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/stack.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

log "cargo fmt --check"
cargo fmt --all -- --check

log "unit tests"
cargo test --workspace --exclude momentum-tests --exclude edge-workers

log "building the worker (release wasm)"
"$ROOT/scripts/build-worker.sh" >"$ROOT/target/worker-build.log" 2>&1 || { tail -n 40 "$ROOT/target/worker-build.log" >&2; die "worker build failed"; }

STATE=$ROOT/.local/test
rm -rf "$STATE"
PG_PORT=${TEST_PG_PORT:-54339} ORIGIN_PORT=${TEST_ORIGIN_PORT:-4100} EDGE_PORT=${TEST_EDGE_PORT:-8797}
ORIGIN_FLAGS=--test-controls
trap 'status=$?; trap - EXIT INT TERM; stack_down; [ $status = 0 ] || { echo "--- origin log"; tail -n 40 "$STATE/origin.log"; echo "--- wrangler log"; tail -n 40 "$STATE/wrangler.log"; } >&2 2>/dev/null; exit $status' EXIT INT TERM
stack_up

log "end-to-end suites against http://127.0.0.1:$EDGE_PORT"
MOMENTUM_BASE_URL=http://127.0.0.1:$EDGE_PORT MOMENTUM_ORIGIN_URL=http://127.0.0.1:$ORIGIN_PORT MOMENTUM_API_KEY=momentum-local-dev-key \
  cargo test -p momentum-tests
log "all tests passed"
