#!/usr/bin/env bash
# Builds the Workers shell (release wasm + JS glue) into edge/workers/build/ with worker-build, using only
# locally installed tools (worker-build otherwise downloads them from GitHub, which these machines cannot reach).
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ -x "$WORKER_BUILD_BIN" ] && [ -x "$WASM_BINDGEN_BIN" ] || die "tools missing: run scripts/setup.sh"
cd "$ROOT/edge/workers"
WASM_BINDGEN_BIN="$WASM_BINDGEN_BIN" \
WASM_OPT_BIN="$ROOT/node_modules/.bin/wasm-opt" \
ESBUILD_BIN="$ROOT/node_modules/@esbuild/linux-x64/bin/esbuild" \
  "$WORKER_BUILD_BIN" --release
