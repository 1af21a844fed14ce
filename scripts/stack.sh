# The local stack, as functions (sourced by dev.sh, test.sh and bench.sh):
# PostgreSQL in a private data dir → local-origin (Data API over it) → wrangler dev (workerd) serving the
# release wasm. Every process runs in its own process group so stack_down leaves nothing behind.
#
# Inputs (set before calling stack_up): STATE (a git-ignored dir for data and logs), PG_PORT, ORIGIN_PORT,
# EDGE_PORT, and optionally ORIGIN_FLAGS (extra local-origin flags, e.g. --test-controls).

STACK_PIDS=()

stack_up() {
  mkdir -p "$STATE"
  log "PostgreSQL on 127.0.0.1:$PG_PORT (data in ${STATE#$ROOT/}/pg)"
  DATABASE_URL=$("$ROOT/scripts/pg.sh" start "$STATE/pg" "$PG_PORT" | tail -n1)
  export DATABASE_URL

  log "local origin on 127.0.0.1:$ORIGIN_PORT"
  cargo build --quiet -p local-origin
  setsid "$ROOT/target/debug/local-origin" --listen "127.0.0.1:$ORIGIN_PORT" --database-url "$DATABASE_URL" \
    --migrations-dir "$ROOT/migrations" --seed --keys-dir "$STATE/cognito-keys" ${ORIGIN_FLAGS:-} >"$STATE/origin.log" 2>&1 </dev/null &
  STACK_PIDS+=($!)
  wait_http "http://127.0.0.1:$ORIGIN_PORT/health" 60 $! || { tail -n 30 "$STATE/origin.log" >&2; die "local origin did not start"; }

  log "wrangler dev on 127.0.0.1:$EDGE_PORT"
  [ -f "$ROOT/.dev.vars" ] || cp "$ROOT/.dev.vars.example" "$ROOT/.dev.vars"
  cd "$ROOT"
  local started=$EPOCHREALTIME
  CI=true setsid node_modules/.bin/wrangler dev --ip 127.0.0.1 --port "$EDGE_PORT" \
    --inspector-port $((EDGE_PORT + 1)) --show-interactive-dev-session=false --log-level "${WRANGLER_LOG_LEVEL:-warn}" \
    --persist-to "$STATE/wrangler" --var "DATA_API_ENDPOINT:http://127.0.0.1:$ORIGIN_PORT" \
    --var "COGNITO_JWKS_URL:http://127.0.0.1:$ORIGIN_PORT/us-east-1_LocalDev1/.well-known/jwks.json" \
    >"$STATE/wrangler.log" 2>&1 </dev/null &
  STACK_PIDS+=($!)
  # "Ready on" is printed before the worker answers: poll a route until it does.
  wait_http "http://127.0.0.1:$EDGE_PORT/health" 90 $! || { tail -n 30 "$STATE/wrangler.log" >&2; die "wrangler dev did not start"; }
  # Seconds from launching wrangler to the first 200 (reported by scripts/bench.sh).
  EDGE_READY_SECONDS=$(awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
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
