#!/usr/bin/env bash
# The one command that sets up and runs every test:
#   1. setup (tools, targets, npm packages) and format check
#   2. unit tests: core (fake ports), origin-adapters, local-origin (incl. its wire tests over a private PostgreSQL)
#   3. the release builds of both edges — the worker, and the Spin component with its dev composition — then the
#      real stack on test ports: PostgreSQL, the local origin, and both edges in front of it (wrangler dev and
#      wasmtime serve). The contract suite (tests/tests/e2e) runs against each edge; the parity check compares
#      the two edges' answers request by request; the Data API adapter suite runs once, against the origin.
# Ports: TEST_EDGE_PORT (8797, Workers), TEST_SPIN_PORT (8799), TEST_ORIGIN_PORT (4100), TEST_PG_PORT (54339) —
# distinct from scripts/dev.sh.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/stack.sh"
cd "$ROOT"

"$ROOT/scripts/setup.sh"

log "cargo fmt --check"
cargo fmt --all -- --check

log "unit tests"
cargo test --workspace --exclude momentum-tests --exclude edge-workers --exclude edge-spin

log "building the worker (release wasm)"
"$ROOT/scripts/build-worker.sh" >"$ROOT/target/worker-build.log" 2>&1 || { tail -n 40 "$ROOT/target/worker-build.log" >&2; die "worker build failed"; }
log "building the Spin component and its dev composition"
"$ROOT/scripts/build-spin.sh" >"$ROOT/target/spin-build.log" 2>&1 || { tail -n 40 "$ROOT/target/spin-build.log" >&2; die "Spin build failed"; }

STATE=$ROOT/.local/test
rm -rf "$STATE"
PG_PORT=${TEST_PG_PORT:-54339} ORIGIN_PORT=${TEST_ORIGIN_PORT:-4100} EDGE_PORT=${TEST_EDGE_PORT:-8797} SPIN_PORT=${TEST_SPIN_PORT:-8799}
ORIGIN_FLAGS=--test-controls
# Short cache windows for the lessons list, so e2e/cache.rs sees fresh → stale → expired within seconds.
export CACHE_POLICY='{"lessons":{"fresh":1,"swr":1,"sie":3}}'
trap 'status=$?; trap - EXIT INT TERM; stack_down; [ $status = 0 ] || { for log in origin wrangler spin; do echo "--- $log log"; tail -n 40 "$STATE/$log.log"; done; } >&2 2>/dev/null; exit $status' EXIT
trap 'exit 130' INT TERM
origin_up
workers_up "$EDGE_PORT"
spin_up "$SPIN_PORT"
export MOMENTUM_ORIGIN_URL=http://127.0.0.1:$ORIGIN_PORT MOMENTUM_API_KEY=momentum-local-dev-key

# One contract suite, run against each edge in turn (never both at once: origin faults are global).
for edge in "workers $EDGE_PORT" "spin $SPIN_PORT"; do
  read -r runtime port <<<"$edge"
  log "the contract suite against the $runtime edge (http://127.0.0.1:$port)"
  MOMENTUM_RUNTIME=$runtime MOMENTUM_BASE_URL=http://127.0.0.1:$port cargo test -p momentum-tests --test e2e --test jwks
done
log "both edges give the same answers"
MOMENTUM_WORKERS_URL=http://127.0.0.1:$EDGE_PORT MOMENTUM_SPIN_URL=http://127.0.0.1:$SPIN_PORT \
  cargo test -p momentum-tests --test parity
log "the Data API adapter against the local origin"
cargo test -p momentum-tests --test data_api
log "all tests passed"
