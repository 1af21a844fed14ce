# The local stack, as functions (sourced by dev.sh, test.sh and bench.sh):
# PostgreSQL in a private data dir → local-origin (Data API over it) → one or both edges in front of that one
# origin: wrangler dev (workerd) serving the release worker, and wasmtime serve serving the Spin component (its
# dev composition, see scripts/build-spin.sh). Every process runs in its own process group so stack_down leaves
# nothing behind.
#
# Inputs (set before calling): STATE (a git-ignored dir for data and logs), PG_PORT, ORIGIN_PORT, optionally
# ORIGIN_FLAGS (extra local-origin flags, e.g. --test-controls); EDGE_PORT and EDGE_RUNTIME for stack_up.
#   stack_up          origin_up, then the edge EDGE_RUNTIME names (workers, the default, or spin) on EDGE_PORT
#   origin_up         PostgreSQL and the local origin
#   workers_up PORT   wrangler dev     (sets WORKERS_READY_SECONDS: launch → first 200)
#   spin_up PORT      wasmtime serve   (sets SPIN_READY_SECONDS)
#   peer_up PORT      wrangler dev serving the benchmark's peer, bench/peer/ (Hono + jose; sets PEER_READY_SECONDS)
# CACHE_POLICY, when set, is passed to every edge (the tests shorten the cache windows with it).

STACK_PIDS=()

stack_up() {
  origin_up
  case ${EDGE_RUNTIME:-workers} in
    workers) workers_up "$EDGE_PORT" ;;
    spin) spin_up "$EDGE_PORT" ;;
    *) die "EDGE_RUNTIME must be workers or spin, not '$EDGE_RUNTIME'" ;;
  esac
}

origin_up() {
  mkdir -p "$STATE"
  log "PostgreSQL on 127.0.0.1:$PG_PORT (data in ${STATE#$ROOT/}/pg)"
  DATABASE_URL=$("$ROOT/scripts/pg.sh" start "$STATE/pg" "$PG_PORT" | tail -n1)
  export DATABASE_URL

  log "local origin on 127.0.0.1:$ORIGIN_PORT"
  cargo build --quiet -p local-origin
  setsid "$ROOT/target/debug/local-origin" --listen "127.0.0.1:$ORIGIN_PORT" --database-url "$DATABASE_URL" \
    --migrations-dir "$ROOT/migrations" --workflows-dir "$ROOT/workflows" --media-dir "$STATE/media" --seed --keys-dir "$STATE/cognito-keys" ${ORIGIN_FLAGS:-} >"$STATE/origin.log" 2>&1 </dev/null &
  STACK_PIDS+=($!)
  wait_http "http://127.0.0.1:$ORIGIN_PORT/health" 60 $! || { tail -n 30 "$STATE/origin.log" >&2; die "local origin did not start"; }
}

workers_up() { # PORT [--var NAME:VALUE …]: extra variables for this instance (a second instance logs apart)
  local port=$1 log=$STATE/wrangler.log
  shift
  [ $# -gt 0 ] && log=$STATE/wrangler-$port.log
  log "wrangler dev (Workers) on 127.0.0.1:$port"
  [ -f "$ROOT/.dev.vars" ] || cp "$ROOT/.dev.vars.example" "$ROOT/.dev.vars"
  # A .dev.vars made by an older checkout lacks the secrets added since: add those (only those) from the example.
  local name
  for name in $(grep -o '^[A-Z_][A-Z0-9_]*=' "$ROOT/.dev.vars.example" | tr -d =); do
    grep -q "^$name=" "$ROOT/.dev.vars" || { grep "^$name=" "$ROOT/.dev.vars.example" >>"$ROOT/.dev.vars"; log ".dev.vars: added $name from .dev.vars.example"; }
  done
  cd "$ROOT"
  local started=$EPOCHREALTIME
  CI=true setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$port" \
    --inspector-port $((port + 1)) --show-interactive-dev-session=false --log-level "${WRANGLER_LOG_LEVEL:-warn}" \
    --persist-to "$STATE/wrangler-$port" --var "DATA_API_ENDPOINT:http://127.0.0.1:$ORIGIN_PORT" --var "STATES_ENDPOINT:http://127.0.0.1:$ORIGIN_PORT" \
    --var "COGNITO_JWKS_URL:http://127.0.0.1:$ORIGIN_PORT/us-east-1_LocalDev1/.well-known/jwks.json" \
    --var "MEDIA_ORIGIN_URL:http://127.0.0.1:$ORIGIN_PORT/media-origin" \
    ${CACHE_POLICY:+--var "CACHE_POLICY:$CACHE_POLICY"} "$@" \
    >"$log" 2>&1 </dev/null &
  STACK_PIDS+=($!)
  # "Ready on" is printed before the worker answers: poll a route until it does.
  wait_http "http://127.0.0.1:$port/health" 90 $! || { tail -n 30 "$log" >&2; die "wrangler dev did not start"; }
  WORKERS_READY_SECONDS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
}

# The benchmark's peer (bench/peer/README.md): another wrangler dev, with the peer's own config, in front of the
# same origin. Its AWS credentials (the local DEV ones) come from .dev.vars, as ours do.
peer_up() {
  local port=$1 log=$STATE/wrangler-peer-$1.log
  log "wrangler dev (peer: Hono + jose) on 127.0.0.1:$port"
  [ -f "$ROOT/.dev.vars" ] || cp "$ROOT/.dev.vars.example" "$ROOT/.dev.vars"
  cd "$ROOT"
  local started=$EPOCHREALTIME
  CI=true setsid node_modules/.bin/wrangler dev --config bench/peer/wrangler.toml --env-file "$ROOT/.dev.vars" \
    --ip 127.0.0.1 --port "$port" --inspector-port $((port + 1)) --show-interactive-dev-session=false \
    --log-level "${WRANGLER_LOG_LEVEL:-warn}" --persist-to "$STATE/wrangler-peer-$port" \
    --var "DATA_API_ENDPOINT:http://127.0.0.1:$ORIGIN_PORT" \
    --var "COGNITO_JWKS_URL:http://127.0.0.1:$ORIGIN_PORT/us-east-1_LocalDev1/.well-known/jwks.json" \
    >"$log" 2>&1 </dev/null &
  STACK_PIDS+=($!)
  wait_http "http://127.0.0.1:$port/health" 90 $! || { tail -n 30 "$log" >&2; die "wrangler dev (peer) did not start"; }
  PEER_READY_SECONDS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
}

# The Spin edge without Spin: `wasmtime serve` runs the dev composition (the unchanged Spin component plus the
# variables provider), with the variables spin.toml declares as SPIN_VARIABLE_* in the guest's environment.
spin_up() {
  local port=$1
  log "wasmtime serve (Spin component) on 127.0.0.1:$port"
  local variables assignment assignments=() env_flags=()
  # CACHE_POLICY (optional) overrides the cache windows, as it does for the Workers edge.
  variables=$(SPIN_VARIABLE_CACHE_POLICY=${CACHE_POLICY:-${SPIN_VARIABLE_CACHE_POLICY:-}} spin_variables "http://127.0.0.1:$ORIGIN_PORT") \
    || die "the Spin edge cannot start (see above)"
  while IFS= read -r assignment; do
    assignments+=("$assignment")
    # --env NAME passes the value from wasmtime's own environment: secrets stay off its command line.
    env_flags+=(--env "${assignment%%=*}")
  done <<<"$variables"
  cd "$ROOT"
  local started=$EPOCHREALTIME
  setsid env "${assignments[@]}" "$WASMTIME_BIN" serve -Scli --addr "127.0.0.1:$port" "${env_flags[@]}" \
    "$SPIN_DEV_COMPONENT" >"$STATE/spin.log" 2>&1 </dev/null &
  STACK_PIDS+=($!)
  wait_http "http://127.0.0.1:$port/health" 60 $! || { tail -n 30 "$STATE/spin.log" >&2; die "wasmtime serve did not start"; }
  SPIN_READY_SECONDS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
}

# spin_variables ENDPOINT: prints NAME=VALUE for every variable spin.toml declares, as `spin up` would resolve
# them: the caller's SPIN_VARIABLE_* first, then spin.dev.env, then the manifest's default. data_api_endpoint,
# states_endpoint and the media origin are always the local origin (as wrangler dev gets --var DATA_API_ENDPOINT,
# STATES_ENDPOINT and MEDIA_ORIGIN_URL). A required variable left without a value fails here, with its name, as it
# fails `spin up`.
spin_variables() {
  python3 - "$ROOT/spin.toml" "$ROOT/spin.dev.env" "$1" <<'PY'
import os, sys, tomllib

manifest, dev_env, endpoint = sys.argv[1:]
with open(manifest, "rb") as f:
    declared = tomllib.load(f).get("variables", {})
dev = {}
with open(dev_env) as f:
    for line in f:
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            # Values holding JSON are single-quoted so that `. ./spin.dev.env` keeps them intact.
            if len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1]
            dev[key] = value
missing = []
for name, spec in declared.items():
    key = "SPIN_VARIABLE_" + name.upper()
    if name in ("data_api_endpoint", "jwks_origin", "states_endpoint", "media_origin"):
        value = endpoint
    elif name == "media_origin_url":
        value = endpoint + "/media-origin"
    elif name == "cognito_jwks_url":
        value = endpoint + "/us-east-1_LocalDev1/.well-known/jwks.json"
    elif key in os.environ:
        value = os.environ[key]
    elif key in dev:
        value = dev[key]
    elif "default" in spec:
        value = spec["default"]
    else:
        missing.append(f"{name} (set {key})")
        continue
    if "\n" in value:
        sys.exit(f"{key}: a variable value cannot span lines")
    print(f"{key}={value}")
if missing:
    sys.exit("spin.toml requires variables that have no value: " + ", ".join(missing))
PY
}

stack_down() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STACK_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
  [ -n "${STATE:-}" ] && "$ROOT/scripts/pg.sh" stop "$STATE/pg" || true
}
