#!/usr/bin/env bash
# Benchmark (not a test): the same routes on both edges, side by side — the Workers edge (wrangler dev) and the
# Spin edge (wasmtime serve), in front of the same local origin: wasm/component size, start time, and req/s,
# p50 and p99 per route, with each route's throughput ÷ the trivial /health route of the same edge in the same
# round. Absolute numbers on a shared 2-core machine are noisy (wrk runs on the same cores): read the ratios.
#   Columns: Workers; the same worker with its token and catalog caches off (MISS path, RS256 per request); Spin;
#   the peer (bench/peer/: a Hono + jose worker, what a user would pick instead of us, on its own wrangler dev),
#   which serves /health, /users/me and /courses?category=…&limit=… only ("-" elsewhere).
#   Then the summary: per route and round, our Workers req/s ÷ the peer's req/s (and, for /users/me, the caches-off
#   worker's ÷ the peer's: the peer verifies the token on every request, as the caches-off worker does), measured
#   back to back in the same run, so most of the machine's load cancels out of the ratio. Above 1.00 we are faster.
#   Beside req/s, each run records the server's CPU time per request (the process group's utime + stime from /proc:
#   wrangler's node and workerd, or wasmtime), which wrk's share of the cores disturbs far less than req/s; the
#   last tables are the peer's CPU per request ÷ ours, for the whole server and for workerd alone (the worker's own
#   cost: wrangler's node proxy in front does the same work for both workers and dilutes the first ratio).
#   On /courses both serve cache HITs (the peer: Cache API; ours: its in-isolate layer, then the Cache API).
#   ROUNDS (2), DURATION (8s), CONNECTIONS (16) — wrk -t2 -c$CONNECTIONS -d$DURATION, one edge at a time,
#   alternating edges route by route (our Workers, then the peer, then the others).
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
log "building the Spin component and its dev composition"
"$ROOT/scripts/build-spin.sh" >"$ROOT/target/spin-build.log" 2>&1 || die "Spin build failed (target/spin-build.log)"

STATE=$ROOT/.local/bench
rm -rf "$STATE"
PG_PORT=54359 ORIGIN_PORT=4200
declare -A port=([workers]=8807 [spin]=8809 [nocache]=8811 [peer]=8813)
trap 'trap - EXIT INT TERM; stack_down' EXIT
trap 'exit 130' INT TERM
# The local key's plan allows 1000 req/s (burst 2000) per isolate: one 8 s run above 1250 req/s would end in 429s.
# Here its rate and burst are out of reach, so the limiter still counts every request (the work stays in the
# figures) but never refuses one.
plans='{"standard":{"ratePerSecond":1000000,"burst":1000000,"dailyQuota":1000000000},'\
'"tiny":{"ratePerSecond":0.01,"burst":2,"dailyQuota":1000},"quota":{"ratePerSecond":100,"burst":100,"dailyQuota":3}}'
export SPIN_VARIABLE_USAGE_PLANS=$plans
origin_up
declare -A group   # runtime → the process group of its server (wrangler + workerd, or wasmtime), for CPU time
workers_up "${port[workers]}" --var "USAGE_PLANS:$plans"
group[workers]=${STACK_PIDS[-1]}
ready=$WORKERS_READY_SECONDS
spin_up "${port[spin]}"
group[spin]=${STACK_PIDS[-1]}
# The same worker with its caches off: the verified-token cache (every request pays the RS256 check, WebCrypto)
# and the catalog cache (zero windows: every catalog read is a MISS that goes to the origin).
zero='{"fresh":0,"swr":0,"sie":0}'
workers_up "${port[nocache]}" --var "USAGE_PLANS:$plans" --var TOKEN_CACHE_SIZE:0 \
  --var "CACHE_POLICY:{\"courses\":$zero,\"course\":$zero,\"lessons\":$zero,\"lesson\":$zero,\"categories\":$zero}"
group[nocache]=${STACK_PIDS[-1]}
WORKERS_READY_SECONDS=$ready
peer_up "${port[peer]}"
group[peer]=${STACK_PIDS[-1]}
# A premium learner's access token from the local Cognito stand-in, and the local API key.
TOKEN=$("$ROOT/target/debug/local-origin" mint-token --user premium --expires-in 7200 --keys-dir "$STATE/cognito-keys")
HEADERS=(-H "x-api-key: momentum-local-dev-key" -H "Authorization: Bearer $TOKEN")

kib() { awk -v b="$1" 'BEGIN { printf "%.0f KiB", b / 1024 }'; }
size() { echo "$(kib "$(stat -c %s "$1")") raw, $(kib "$(gzip -9c "$1" | wc -c)") gzip"; }
worker_wasm=edge/workers/build/index_bg.wasm worker_js=edge/workers/build/index.js
# The peer's bundle as wrangler builds it (esbuild): as served by wrangler dev, and minified as a deploy could be.
peer_bundle() { # OUTDIR [--minify]
  local out=$1; shift
  rm -rf "$out"
  node_modules/.bin/wrangler deploy --dry-run --config bench/peer/wrangler.toml --outdir "$out" "$@" \
    >"$STATE/peer-bundle.log" 2>&1 || { tail -n 20 "$STATE/peer-bundle.log" >&2; die "bundling the peer failed"; }
  echo "$out/index.js"
}
peer_js=$(peer_bundle "$ROOT/target/peer-bundle")
peer_min=$(peer_bundle "$ROOT/target/peer-bundle-min" --minify)
echo
echo "## Momentum Edge bench ($(date -u +%F), $(nproc) cores, wrk -t2 -c$CONNECTIONS -d$DURATION, $ROUNDS rounds)"
printf '%-22s %-40s %-58s %s\n' "" "Workers (wrangler dev)" "Spin (wasmtime serve)" "Peer: Hono + jose (wrangler dev)"
printf '%-22s %-40s %-58s %s\n' "wasm / bundle" "$(size $worker_wasm) + JS $(kib "$(stat -c %s $worker_js)")" \
  "$(size "$SPIN_COMPONENT")" "JS $(size "$peer_js")"
printf '%-22s %-40s %-58s %s\n' "served artifact" "the wasm and JS above" \
  "$(size "$SPIN_DEV_COMPONENT") (with the dev variables provider)" "the JS above; minified: $(size "$peer_min")"
printf '%-22s %-40s %-58s %s\n' "start to first 200" "${WORKERS_READY_SECONDS}s" "${SPIN_READY_SECONDS}s" "${PEER_READY_SECONDS}s"
echo

routes=(
  "/health"
  "/courses?category=leadership&limit=20"
  "/courses/20000000-0000-4000-8000-000000000001"
  "/categories"
  "/users/me"
)
runtimes=(workers peer nocache spin)   # the order of the runs: ours and the peer back to back
columns=(workers nocache spin peer)    # the order of the columns
# The routes the peer serves (the catalog list, the signed-in caller, and /health).
serves() { [ "$1" != peer ] || [[ $2 == /health || $2 == /users/me || $2 == "/courses?"* ]]; }
declare -A rps p50 p99 cpu cpu_w
# CPU time (clock ticks) of every process in a process group: the server's own cost, whatever wrk takes.
TICK_MS=$(awk -v hz="$(getconf CLK_TCK)" 'BEGIN { print 1000 / hz }')
group_ticks() { # PGID [COMM] — the group's ticks, or only its processes named COMM (e.g. workerd)
  # Fields after "pid (comm) ": state ppid pgrp … utime (12th) stime (13th).
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v g="$1" -v c="${2:-}" '{
    name = $0; sub(/^[0-9]+ \(/, "", name); sub(/\) .*$/, "", name)
    rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
    if (f[3] == g && (c == "" || name == c)) t += f[12] + f[13]
  } END { print t + 0 }'
}
per_request() { # TICKS REQUESTS — CPU milliseconds per request
  awk -v t="$1" -v ms="$TICK_MS" -v n="$2" 'BEGIN { printf "%.3f", (n > 0 ? t * ms / n : 0) }'
}
run() { # runtime route round
  local out before after before_w after_w requests
  before=$(group_ticks "${group[$1]}") before_w=$(group_ticks "${group[$1]}" workerd)
  out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${HEADERS[@]}" "http://127.0.0.1:${port[$1]}$2")
  after=$(group_ticks "${group[$1]}") after_w=$(group_ticks "${group[$1]}" workerd)
  requests=$(awk '/requests in/ { print $1 }' <<<"$out")
  # CPU milliseconds per request, over the whole server (wrangler's node and workerd; or wasmtime), and in workerd
  # alone (where the worker runs; wrangler's node proxy in front of it does the same work for every worker).
  cpu[$1,$2,$3]=$(per_request $((after - before)) "$requests")
  cpu_w[$1,$2,$3]=$(per_request $((after_w - before_w)) "$requests")
  rps[$1,$2,$3]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50[$1,$2,$3]=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99[$1,$2,$3]=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  # Every request must have been a 2xx, or the figure means nothing.
  ! grep -q "Non-2xx" <<<"$out" || die "$1 $2 answered non-2xx under load: $out"
}
for runtime in "${runtimes[@]}"; do
  for route in "${routes[@]}"; do
    serves "$runtime" "$route" || continue
    curl -fsS -o /dev/null "${HEADERS[@]}" "http://127.0.0.1:${port[$runtime]}$route"
  done
done
for ((round = 1; round <= ROUNDS; round++)); do
  for route in "${routes[@]}"; do
    for runtime in "${runtimes[@]}"; do
      if serves "$runtime" "$route"; then run "$runtime" "$route" "$round"; fi
    done
  done
done

echo "Every request carries the API key and a premium learner's bearer token (verified only where the route needs it)."
echo "cpu/req: the server's CPU milliseconds per request (wrangler's node and workerd, or wasmtime), from /proc."
printf '%-46s %5s | %-43s | %-43s | %-43s | %s\n' "" "" "Workers" "Workers, caches off" "Spin" "Peer (Hono + jose)"
printf '%-46s %5s' route round
for runtime in "${columns[@]}"; do printf ' | %9s %8s %8s %7s %7s' "req/s" p50 p99 "÷health" "cpu/req"; done
echo
for ((round = 1; round <= ROUNDS; round++)); do
  for route in "${routes[@]}"; do
    line=$(printf '%-46s %5s' "$route" "$round")
    for runtime in "${columns[@]}"; do
      if ! serves "$runtime" "$route"; then line+=$(printf ' | %9s %8s %8s %7s %7s' - - - - -); continue; fi
      ratio=$(awk -v a="${rps[$runtime,$route,$round]}" -v b="${rps[$runtime,/health,$round]}" 'BEGIN { printf "%.2f", a / b }')
      line+=$(printf ' | %9s %8s %8s %7s %7s' "${rps[$runtime,$route,$round]}" "${p50[$runtime,$route,$round]}" \
        "${p99[$runtime,$route,$round]}" "$ratio" "${cpu[$runtime,$route,$round]}")
    done
    echo "$line"
  done
done

# Against the peer: the same route, the same run, back-to-back measurements.
echo
echo "### Our Workers edge vs the peer (Hono + jose on the same wrangler dev): req/s ÷ the peer's req/s, same run"
echo "Above 1.00 we are faster. Per round, then the range. Our /users/me also resolves the caller's database id"
echo "(once per isolate) and our worker counts API-key rate limits; the peer does neither (bench/peer/README.md)."
ratio_row() { # label runtime route [cpu|workerd]: req/s ours ÷ peer's, or the peer's CPU per request ÷ ours
  local cells="" round r lo="" hi=""
  for ((round = 1; round <= ROUNDS; round++)); do
    if [ "${4:-}" = cpu ]; then
      r=$(awk -v a="${cpu[peer,$3,$round]}" -v b="${cpu[$2,$3,$round]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    elif [ "${4:-}" = workerd ]; then
      r=$(awk -v a="${cpu_w[peer,$3,$round]}" -v b="${cpu_w[$2,$3,$round]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    else
      r=$(awk -v a="${rps[$2,$3,$round]}" -v b="${rps[peer,$3,$round]}" 'BEGIN { printf "%.2f", a / b }')
    fi
    cells+=$(printf ' %7s' "$r")
    lo=$(awk -v r="$r" -v m="$lo" 'BEGIN { print (m == "" || r + 0 < m + 0) ? r : m }')
    hi=$(awk -v r="$r" -v m="$hi" 'BEGIN { print (m == "" || r + 0 > m + 0) ? r : m }')
  done
  printf '%-46s %-28s%s   %s – %s\n' "$3" "$1" "$cells" "$lo" "$hi"
}
header=$(printf '%-46s %-28s' route "ours")
for ((round = 1; round <= ROUNDS; round++)); do header+=$(printf ' %7s' "round $round"); done
echo "$header   range"
for route in "${routes[@]}"; do
  serves peer "$route" || continue
  ratio_row "Workers ÷ peer" workers "$route"
  # Token checked on every request by both (elsewhere the caches-off worker does other work than the peer).
  if [ "$route" = /users/me ]; then ratio_row "Workers caches off ÷ peer" nocache "$route"; fi
done
cpu_table() { # cpu|workerd TITLE — the peer's CPU per request ÷ ours, per route the peer serves
  echo
  echo "### $2"
  echo "$header   range"
  for route in "${routes[@]}"; do
    serves peer "$route" || continue
    ratio_row "peer $1 ÷ Workers" workers "$route" "$1"
    if [ "$route" = /users/me ]; then ratio_row "peer $1 ÷ caches off" nocache "$route" "$1"; fi
  done
}
cpu_table cpu "CPU per request: the peer's CPU milliseconds per request ÷ ours, same run (above 1.00 we use less)"
cpu_table workerd "CPU per request in workerd alone (the worker's own cost; wrangler's node proxy left out): the peer's ÷ ours"
