#!/usr/bin/env bash
# Runs every Sluice test: installs what the tests need (PostgreSQL, the AWS CLI, boto3, aiosmtpd,
# the Node AWS SDKs and s3rver), starts a private PostgreSQL on loopback, then `dotnet test` on the solution.
# Extra arguments go to `dotnet test` unchanged, e.g. tools/test.sh --filter Category=Unit
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

log() { printf '[test.sh] %s\n' "$*" >&2; }
die() { printf '[test.sh] ERROR: %s\n' "$*" >&2; exit 1; }

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The AWS clients the tests run must never look for credentials or regions off this machine.
export AWS_EC2_METADATA_DISABLED=true

# ---------------------------------------------------------------------------------------------
# 1. Tools: find what is already there, install only what is missing (one apt-get update).
# ---------------------------------------------------------------------------------------------

find_pg_bin() {
  local d
  if [[ -x /usr/lib/postgresql/15/bin/initdb ]]; then echo /usr/lib/postgresql/15/bin; return 0; fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
  done
  return 1
}

find_aws() {
  local c
  for c in "${SLUICE_TEST_AWS:-}" "$(command -v aws 2>/dev/null || true)" /usr/bin/aws; do
    [[ -n "$c" && -x "$c" ]] || continue
    if "$c" --version >/dev/null 2>&1; then
      # A pyenv shim picks its interpreter by the caller's cwd: hand the tests the real script.
      if [[ "$c" == */.pyenv/shims/* ]] && command -v pyenv >/dev/null 2>&1; then
        local real
        real="$(pyenv which aws 2>/dev/null)" && [[ -x "$real" ]] && "$real" --version >/dev/null 2>&1 && c="$real"
      fi
      echo "$c"
      return 0
    fi
  done
  return 1
}

find_python_with_boto3() {
  local c
  for c in "${SLUICE_TEST_PYTHON:-}" "$(command -v python3 2>/dev/null || true)" /usr/bin/python3; do
    [[ -n "$c" && -x "$c" ]] || continue
    # sys.executable: the real interpreter, not a pyenv shim that depends on the cwd.
    if "$c" -c 'import boto3' >/dev/null 2>&1; then "$c" -c 'import sys; print(sys.executable)'; return 0; fi
  done
  return 1
}

missing=()
find_pg_bin >/dev/null || missing+=(postgresql)
find_aws >/dev/null || missing+=(awscli)
find_python_with_boto3 >/dev/null || missing+=(python3-boto3)
# A real SMTP server for the Alerts e-mail tests (python3 -m aiosmtpd).
find_python_with_aiosmtpd() {
  local c
  for c in "${SLUICE_TEST_SMTP_PYTHON:-}" "$(command -v python3 2>/dev/null || true)" /usr/bin/python3; do
    [[ -n "$c" && -x "$c" ]] || continue
    if "$c" -c 'import aiosmtpd' >/dev/null 2>&1; then "$c" -c 'import sys; print(sys.executable)'; return 0; fi
  done
  return 1
}
find_python_with_aiosmtpd >/dev/null || missing+=(python3-aiosmtpd)

if ((${#missing[@]} > 0)); then
  [[ "$(id -u)" == 0 ]] || die "missing ${missing[*]} and not root: install them with apt-get first"
  log "installing missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

PG_BIN="$(find_pg_bin)" || die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
SLUICE_TEST_AWS="$(find_aws)" || die "no working 'aws' CLI (tried PATH and /usr/bin/aws)"
SLUICE_TEST_PYTHON="$(find_python_with_boto3)" || die "no python3 that can 'import boto3'"
SLUICE_TEST_SMTP_PYTHON="$(find_python_with_aiosmtpd)" || die "no python3 that can 'import aiosmtpd'"
export SLUICE_TEST_AWS SLUICE_TEST_PYTHON SLUICE_TEST_SMTP_PYTHON

command -v node >/dev/null 2>&1 || die "node is not on PATH (Node.js 20+ is needed for tests/clients)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH"

# Node client scenarios: npm ci only when node_modules is missing or older than the lock file.
SLUICE_TEST_NODE_DIR="$ROOT/tests/clients"
export SLUICE_TEST_NODE_DIR
if [[ -f "$SLUICE_TEST_NODE_DIR/package.json" ]]; then
  stamp="$SLUICE_TEST_NODE_DIR/node_modules/.package-lock.json"
  if [[ ! -d "$SLUICE_TEST_NODE_DIR/node_modules/@aws-sdk/client-kinesis" || ! -d "$SLUICE_TEST_NODE_DIR/node_modules/s3rver" || ! -f "$stamp" ||
        "$SLUICE_TEST_NODE_DIR/package-lock.json" -nt "$stamp" || "$SLUICE_TEST_NODE_DIR/package.json" -nt "$stamp" ]]; then
    log "installing Node packages in tests/clients"
    if [[ -f "$SLUICE_TEST_NODE_DIR/package-lock.json" ]]; then
      (cd "$SLUICE_TEST_NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error) ||
        (cd "$SLUICE_TEST_NODE_DIR" && npm install --no-audit --no-fund --loglevel=error)
    else
      (cd "$SLUICE_TEST_NODE_DIR" && npm install --no-audit --no-fund --loglevel=error)
    fi
  fi
fi

log "aws: $SLUICE_TEST_AWS ($("$SLUICE_TEST_AWS" --version 2>&1 | head -n1))"
log "python: $SLUICE_TEST_PYTHON (boto3 $("$SLUICE_TEST_PYTHON" -c 'import boto3; print(boto3.__version__)'))"
log "node: $(command -v node) ($(node --version)), clients in $SLUICE_TEST_NODE_DIR"

# ---------------------------------------------------------------------------------------------
# 2. A private PostgreSQL: fresh data dir, loopback only, its own port and socket dir.
# ---------------------------------------------------------------------------------------------

PG_TMP=""
PG_STARTED=0

as_pg() {
  # initdb refuses to run as root; as another user, run as that user.
  if [[ "$(id -u)" == 0 ]]; then
    if command -v runuser >/dev/null 2>&1; then
      runuser -u postgres -- "$@"
    else
      su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
  else
    "$@"
  fi
}

cleanup() {
  local rc=$?
  if [[ "$PG_STARTED" == 1 ]]; then
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 60 stop >/dev/null 2>&1; then
      log "warning: pg_ctl stop failed; end of the PostgreSQL log:"
      tail -n 20 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
    fi
  fi
  if [[ -n "$PG_TMP" && -d "$PG_TMP" ]]; then rm -rf "$PG_TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [[ "$(id -u)" == 0 ]] && ! id postgres >/dev/null 2>&1; then
  useradd --system --no-create-home --home-dir /var/lib/postgresql --shell /bin/sh postgres
fi

PG_TMP="$(mktemp -d /tmp/sluice-pg.XXXXXX)"
chmod 700 "$PG_TMP"
mkdir -p "$PG_TMP/sock"
[[ "$(id -u)" == 0 ]] && chown -R postgres: "$PG_TMP"

# initdb's own fsyncs are skipped (throwaway data dir); the running server keeps fsync on.
as_pg "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
  >"$PG_TMP/initdb.log" 2>&1 || { cat "$PG_TMP/initdb.log" >&2; die "initdb failed"; }

PG_PORT=""
for port in $(seq 55432 55532); do
  port_in_use "$port" && continue
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$PG_TMP/sock'"
    echo "fsync = on"
    echo "max_connections = 200"
  } >"$PG_TMP/sluice.conf"
  [[ "$(id -u)" == 0 ]] && chown postgres: "$PG_TMP/sluice.conf"
  grep -q "^include = '$PG_TMP/sluice.conf'" "$PG_TMP/data/postgresql.conf" ||
    echo "include = '$PG_TMP/sluice.conf'" >>"$PG_TMP/data/postgresql.conf"
  if as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" -w -t 60 start >/dev/null 2>&1; then
    PG_STARTED=1
    PG_PORT="$port"
    break
  fi
  # Lost a race for the port (or another start problem): show why, then try the next port.
  tail -n 5 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
done
[[ -n "$PG_PORT" ]] || die "could not start PostgreSQL on any port in 55432..55532"

"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres sluice_test ||
  die "createdb sluice_test failed"

export SLUICE_TEST_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=sluice_test;Pooling=true"
log "$("$PG_BIN/postgres" --version) on 127.0.0.1:$PG_PORT (data in $PG_TMP)"

# ---------------------------------------------------------------------------------------------
# 3. dotnet test, with a one-line summary of what it counted.
# ---------------------------------------------------------------------------------------------

SOLUTION=""
for s in Sluice.sln Sluice.slnx; do [[ -f "$s" ]] && { SOLUTION="$s"; break; }; done
[[ -n "$SOLUTION" ]] || die "no Sluice.sln in $ROOT"

TEST_LOG="$PG_TMP/dotnet-test.log"
log "dotnet test $SOLUTION -c Release $*"
set +e
dotnet test "$SOLUTION" -c Release "$@" 2>&1 | tee "$TEST_LOG"
rc=${PIPESTATUS[0]}
set -e

# Add up the per-project summaries of VSTest ("Failed: 0, Passed: 12, Skipped: 1, Total: 13")
# and of Microsoft.Testing.Platform ("failed: 0" / "succeeded: 12" / "skipped: 1").
read -r passed failed skipped found < <(awk '
  /(Passed|Failed)!? *- *Failed: *[0-9]+, *Passed: *[0-9]+/ {
    line = $0
    if (match(line, /Failed: *[0-9]+/))  { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); f += s }
    if (match(line, /Passed: *[0-9]+/))  { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); p += s }
    if (match(line, /Skipped: *[0-9]+/)) { s = substr(line, RSTART, RLENGTH); gsub(/[^0-9]/, "", s); k += s }
    n++
  }
  /^ *failed: *[0-9]+ *$/    { s = $0; gsub(/[^0-9]/, "", s); mf += s; m++ }
  /^ *succeeded: *[0-9]+ *$/ { s = $0; gsub(/[^0-9]/, "", s); mp += s }
  /^ *skipped: *[0-9]+ *$/   { s = $0; gsub(/[^0-9]/, "", s); mk += s }
  END {
    if (n > 0) print p + 0, f + 0, k + 0, 1
    else if (m > 0) print mp + 0, mf + 0, mk + 0, 1
    else print 0, 0, 0, 0
  }' "$TEST_LOG")

echo
if [[ "$found" == 1 ]]; then
  result=$([[ $rc == 0 ]] && echo OK || echo "FAILED (dotnet test exit code $rc)")
  echo "test.sh: $result"
  echo "tests: $passed passed, $failed failed, $skipped skipped"
else
  echo "test.sh: no test summary found in the dotnet test output (dotnet test exit code $rc)"
fi
exit "$rc"
