#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for tests: initdb into DIR as an unprivileged user, listening
# only on a Unix socket inside DIR (no TCP port), database `specmill` with q3c created.
#   pg-throwaway.sh start DIR   prints the libpq URL of the database (postgresql:///specmill?host=DIR&user=postgres)
#   pg-throwaway.sh stop DIR    stops the server and deletes DIR
# initdb refuses to run as root (tests run as root in CI): as root the cluster belongs to the
# `postgres` system user that Debian's postgresql package creates (runuser). Exit 77 (the tests'
# SKIP code) when the PostgreSQL binaries or q3c are missing; scripts/install-deps.sh installs them.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?DIR}
bin=${SPECMILL_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
      echo "pg-throwaway: PostgreSQL server binaries not found (install postgresql-15)" >&2
      exit 77
    fi
    share=$("$bin/pg_config" --sharedir 2>/dev/null || echo /usr/share/postgresql/15)
    if ! ls "$share"/extension/q3c.control >/dev/null 2>&1; then
      echo "pg-throwaway: the q3c extension is not installed (install postgresql-15-q3c)" >&2
      exit 77
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      echo "pg-throwaway: running as root and no 'postgres' system user to own the cluster" >&2
      exit 77
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    # No TCP listener; the socket lives in DIR. fsync off: a test cluster need not survive a crash.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d postgres -c "CREATE DATABASE specmill" >/dev/null
    "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -U postgres -d specmill -c "CREATE EXTENSION q3c" >/dev/null
    echo "postgresql:///specmill?host=$dir&user=postgres"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-throwaway.sh start|stop DIR" >&2
    exit 2
    ;;
esac
