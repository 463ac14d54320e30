#!/usr/bin/env bash
# Runs tools/bench/bench.sh against a private PostgreSQL (fresh data dir, loopback, fsync on, stopped afterwards).
# Arguments go to bench.sh, e.g. tools/bench/bench-postgres.sh --records 200000 --batch 500 --concurrency 8
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

PG_BIN=""
for d in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { PG_BIN="$d"; break; }
done
[[ -n "$PG_BIN" ]] || { echo "PostgreSQL server binaries not found" >&2; exit 1; }

as_pg() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

PG_TMP="$(mktemp -d /tmp/sluice-bench-pg.XXXXXX)"
chmod 700 "$PG_TMP"
mkdir -p "$PG_TMP/sock"
[[ "$(id -u)" == 0 ]] && chown -R postgres: "$PG_TMP"
STARTED=0
cleanup() {
  [[ "$STARTED" == 1 ]] && as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 60 stop >/dev/null 2>&1
  rm -rf "$PG_TMP"
}
trap cleanup EXIT

as_pg "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$PG_TMP/initdb.log" 2>&1
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for p in $(shuf -i 56000-56999 -n 50); do port_in_use "$p" || { PORT=$p; break; }; done
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $PORT"
  echo "unix_socket_directories = '$PG_TMP/sock'"
  echo "fsync = on"
  echo "max_connections = 100"
} >>"$PG_TMP/data/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" -w -t 60 start >/dev/null
STARTED=1
"$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres sluice_bench

export POSTMASTER_PID
POSTMASTER_PID="$(head -1 "$PG_TMP/data/postmaster.pid")"
tools/bench/bench.sh --postgres "Host=127.0.0.1;Port=$PORT;Username=postgres;Database=sluice_bench;Pooling=true" "$@"
