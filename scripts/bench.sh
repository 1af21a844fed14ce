#!/usr/bin/env bash
# Benchmark (not a test): prints the worker's size, wrangler-dev start time, and throughput of catalog routes
# against the trivial /health route of the same worker in the same run. Absolute numbers on a shared 2-core
# machine are noisy: read the ratios.
#   ROUNDS (2), DURATION (8s), CONNECTIONS (16) — wrk -t2 -c$CONNECTIONS -d$DURATION, routes alternating.
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$ROOT/scripts/stack.sh"
cd "$ROOT"
ROUNDS=${ROUNDS:-2} DURATION=${DURATION:-8s} CONNECTIONS=${CONNECTIONS:-16}

"$ROOT/scripts/setup.sh"
if ! command -v wrk >/dev/null; then
  [ "$(id -u)" = 0 ] || die "wrk is needed: sudo apt-get install wrk"
  log "installing wrk (apt)"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
log "building the worker (release wasm)"
"$ROOT/scripts/build-worker.sh" >"$ROOT/target/worker-build.log" 2>&1 || die "worker build failed (target/worker-build.log)"

STATE=$ROOT/.local/bench
rm -rf "$STATE"
PG_PORT=54359 ORIGIN_PORT=4200 EDGE_PORT=8807
trap 'trap - EXIT INT TERM; stack_down' EXIT INT TERM
stack_up

wasm=edge/workers/build/index_bg.wasm js=edge/workers/build/index.js
kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
echo
echo "## Momentum Edge bench ($(date -u +%F), $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION, $ROUNDS rounds)"
echo "wasm: $(kib "$(stat -c %s $wasm)") raw, $(kib "$(gzip -9c $wasm | wc -c)") gzip;  JS glue: $(kib "$(stat -c %s $js)")"
echo "wrangler dev start → first 200: ${EDGE_READY_SECONDS}s"
echo

routes=(
  "/health"
  "/courses?category=leadership&limit=20"
  "/courses/20000000-0000-4000-8000-000000000001"
  "/categories"
)
declare -A rps p50 p99
run() { # route round
  local out; out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$EDGE_PORT$1")
  rps[$1,$2]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50[$1,$2]=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99[$1,$2]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  # Every request must have been a 2xx, or the figure means nothing.
  ! grep -q "Non-2xx" <<<"$out" || die "$1 answered non-2xx under load: $out"
}
for route in "${routes[@]}"; do curl -fsS -o /dev/null "http://127.0.0.1:$EDGE_PORT$route"; done
for ((round = 1; round <= ROUNDS; round++)); do
  for route in "${routes[@]}"; do run "$route" "$round"; done
done

printf '%-48s %6s %10s %9s %9s %s\n' route round "req/s" p50 p99 "÷ /health"
for ((round = 1; round <= ROUNDS; round++)); do
  for route in "${routes[@]}"; do
    ratio=$(awk -v a="${rps[$route,$round]}" -v b="${rps[/health,$round]}" 'BEGIN { printf "%.2f", a / b }')
    printf '%-48s %6s %10s %9s %9s %s\n' "$route" "$round" "${rps[$route,$round]}" "${p50[$route,$round]}" "${p99[$route,$round]}" "$ratio"
  done
done
