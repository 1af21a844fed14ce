#!/usr/bin/env bash
# Installs whatever this machine lacks for the local stack and the tests. Idempotent: a second run takes
# seconds. The first run on a fresh machine builds two cargo tools (about 20 minutes on 2 cores).
#   - Rust target wasm32-unknown-unknown (rustup)
#   - wrangler, esbuild and wasm-opt at the versions in package-lock.json (npm ci)
#   - worker-build and wasm-bindgen-cli at pinned versions, under $MOMENTUM_TOOLS (shared by all clones)
#   - PostgreSQL server binaries (Debian package) when none are installed
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

for tool in cargo rustup node npm curl; do
  command -v "$tool" >/dev/null || die "$tool is required but not installed"
done

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding Rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# npm ci only when the lock changed since the last install (npm records the installed tree in this file).
if ! cmp -s package-lock.json node_modules/.momentum-lock 2>/dev/null; then
  log "installing pinned JS tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.momentum-lock
fi

if [ ! -x "$WASM_BINDGEN_BIN" ]; then
  log "building wasm-bindgen-cli $WASM_BINDGEN_VERSION (one time, ~8 min)"
  # Not --locked: one of its locked dependency versions is missing from the registry mirror.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --root "$MOMENTUM_TOOLS/wasm-bindgen-$WASM_BINDGEN_VERSION"
fi
if [ ! -x "$WORKER_BUILD_BIN" ]; then
  log "building worker-build $WORKER_BUILD_VERSION (one time, ~14 min)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --root "$MOMENTUM_TOOLS/worker-build-$WORKER_BUILD_VERSION"
fi

if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed: sudo apt-get install postgresql"
  log "installing PostgreSQL (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
log "setup complete"
