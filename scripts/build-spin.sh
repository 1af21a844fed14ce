#!/usr/bin/env bash
# Builds the Spin edge:
#   1. the Spin component — target/wasm32-wasip2/release/edge_spin.wasm, the file spin.toml names and `spin up`
#      serves (spin.toml's build command is the same cargo command);
#   2. for hosts that are not Spin (here: `wasmtime serve`), the dev composition around it —
#      target/spin-dev/momentum-edge.dev.wasm = that component, unchanged, with its import of Spin's variables
#      interface plugged by edge/spin-dev-variables (SPIN_VARIABLE_<NAME> from the environment). The script checks
#      that the composition embeds the Spin component byte for byte: what is served here is what Spin serves.
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ -x "$WASM_TOOLS_BIN" ] || die "wasm-tools missing: run scripts/setup.sh"
cd "$ROOT"

# Two cargo runs, not one: built together, features would unify across both, and the Spin component must be
# exactly what spin.toml's own build command (this first line) makes.
cargo build --release --target wasm32-wasip2 -p edge-spin
cargo build --release --target wasm32-wasip2 -p spin-dev-variables
release=target/wasm32-wasip2/release

# Spin's only non-WASI import must be the variables interface the dev provider exports.
spin_imports=$("$WASM_TOOLS_BIN" component wit "$SPIN_COMPONENT" | awk '$1 == "import" && $2 !~ /^wasi:/ { print $2 }')
[ "$spin_imports" = "fermyon:spin/variables@2.0.0;" ] ||
  die "the Spin component imports Spin interfaces the dev composition does not provide: $spin_imports"

# wasm-tools compose names a definition after its file name, which must be kebab-case.
dev_variables=$(dirname "$SPIN_DEV_COMPONENT")/dev-variables.wasm
mkdir -p "$(dirname "$SPIN_DEV_COMPONENT")"
cp "$release/spin_dev_variables.wasm" "$dev_variables"
out=$("$WASM_TOOLS_BIN" compose "$SPIN_COMPONENT" -d "$dev_variables" -o "$SPIN_DEV_COMPONENT" 2>&1) ||
  { echo "$out" >&2; die "wasm-tools compose failed"; }
python3 - "$SPIN_COMPONENT" "$SPIN_DEV_COMPONENT" <<'PY' || die "the dev composition does not embed the Spin component unchanged"
import sys
spin, composed = (open(path, "rb").read() for path in sys.argv[1:])
sys.exit(0 if spin in composed else 1)
PY
composed_imports=$("$WASM_TOOLS_BIN" component wit "$SPIN_DEV_COMPONENT" | awk '$1 == "import" && $2 !~ /^wasi:/ { print $2 }')
[ -z "$composed_imports" ] || die "the dev composition still imports non-WASI interfaces: $composed_imports"
echo "Spin component:  ${SPIN_COMPONENT#$ROOT/} ($(stat -c %s "$SPIN_COMPONENT") bytes)"
echo "dev composition: ${SPIN_DEV_COMPONENT#$ROOT/} ($(stat -c %s "$SPIN_DEV_COMPONENT") bytes)"
