#!/usr/bin/env bash
# Start or stop a private PostgreSQL for the local stack.
#   scripts/pg.sh start DATA_DIR PORT   initdb on first use, start on 127.0.0.1:PORT, create database "momentum"
#   scripts/pg.sh stop  DATA_DIR        fast shutdown (no-op when not running)
# Auth is `trust`, bound to loopback only: this database is a throwaway under the repo, never a shared server.
set -euo pipefail

find_bin() {
  local name=$1
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  local candidate
  for candidate in /usr/lib/postgresql/*/bin/"$name"; do
    [ -x "$candidate" ] && { echo "$candidate"; return; }
  done
  echo "pg.sh: $name not found (install PostgreSQL 15: apt-get install postgresql)" >&2
  exit 1
}

# PostgreSQL refuses to run as root; when we are root, run it as the `postgres` system user.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:?usage: pg.sh start|stop DATA_DIR [PORT]}
data=${2:?data dir}
mkdir -p "$data"
data=$(cd "$data" && pwd)

# As root, the server runs as `postgres`, which must be able to reach the data dir. A clone under a private
# directory (mode 700, e.g. /root or a mktemp dir) is out of its reach: then the data lives in a directory of
# its own under /var/tmp, named after the requested path (so the same clone finds the same data again).
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
fi
# The server's working directory must be one it can enter (not a private clone): run from /.
cd /
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$data" 2>/dev/null; then
  fallback=/var/tmp/momentum-edge-pg/$(printf '%s' "$data" | sha256sum | cut -c1-16)
  mkdir -p "$fallback"
  chmod 755 /var/tmp/momentum-edge-pg
  [ "$cmd" = start ] && echo "pg.sh: $data is out of the postgres user's reach; using $fallback" >&2
  data=$fallback
fi

case "$cmd" in
  start)
    port=${3:?port}
    initdb=$(find_bin initdb); pg_ctl=$(find_bin pg_ctl)
    if [ "$(id -u)" = 0 ]; then chown postgres "$data"; chmod 700 "$data"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
      as_pg "$initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/tmp/momentum-initdb.$$.log 2>&1 \
        || { cat /tmp/momentum-initdb.$$.log >&2; rm -f /tmp/momentum-initdb.$$.log; exit 1; }
      rm -f /tmp/momentum-initdb.$$.log
    fi
    if as_pg "$pg_ctl" -D "$data" status >/dev/null 2>&1; then
      echo "postgres already running in $data"
    else
      as_pg "$pg_ctl" -D "$data" -l "$data/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $data -c fsync=off -c timezone=UTC" start >/dev/null \
        || { echo "pg.sh: PostgreSQL did not start on port $port; its log:" >&2; tail -n 20 "$data/server.log" >&2; exit 1; }
    fi
    psql_bin=$(find_bin psql)
    if ! "$psql_bin" -h 127.0.0.1 -p "$port" -U postgres -tAc "select 1 from pg_database where datname='momentum'" postgres | grep -q 1; then
      "$psql_bin" -h 127.0.0.1 -p "$port" -U postgres -qc "create database momentum" postgres
    fi
    echo "postgres://postgres@127.0.0.1:$port/momentum"
    ;;
  stop)
    pg_ctl=$(find_bin pg_ctl)
    if [ -f "$data/postmaster.pid" ]; then
      as_pg "$pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *) echo "usage: pg.sh start|stop DATA_DIR [PORT]" >&2; exit 2 ;;
esac
