#!/usr/bin/env bash
# Write-path benchmark: starts a Release `sluice up` on a free loopback port with fresh data, runs the load generator
# against it and prints records/s, latency and CPU microseconds per record of the host and of the load generator.
# Build first (dotnet build Sluice.sln -c Release). Usage:
#   tools/bench/bench.sh [--postgres <connection string>] [load generator options...]
#   tools/bench/bench.sh --records 200000 --batch 500 --concurrency 8
#   tools/bench/bench.sh --records 20000 --batch 1 --concurrency 16
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
ROOT="$(pwd)"
BIN="$ROOT/tools/Sluice/bin/Release/net10.0/sluice.dll"
LOADGEN="$ROOT/tools/Sluice.LoadGen/bin/Release/net10.0/Sluice.LoadGen.dll"
[[ -f "$BIN" && -f "$LOADGEN" ]] || { echo "build Release first" >&2; exit 1; }

storage=()
if [[ "${1:-}" == "--postgres" ]]; then storage=(--postgres "$2"); shift 2; fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for p in $(shuf -i 20000-29999 -n 50); do port_in_use "$p" || { PORT=$p; break; }; done
[[ -n "$PORT" ]] || { echo "no free port" >&2; exit 1; }

DATA="$(mktemp -d /tmp/sluice-bench.XXXXXX)"
HOST_PID=""
cleanup() {
  [[ -n "$HOST_PID" ]] && kill "$HOST_PID" 2>/dev/null && wait "$HOST_PID" 2>/dev/null
  rm -rf "$DATA"
}
trap cleanup EXIT

# PERF=1: sample the host with perf during the measured run (report in /tmp/sluice-bench.perf.txt).
[[ "${PERF:-0}" != 0 ]] && export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
# The host tiers its code up without the usual 100 ms quiet period, so a short warm-up reaches the steady state's
# code (on a busy machine the background JIT otherwise lags for minutes and the profile shows its instrumentation).
env DOTNET_TC_CallCountingDelayMs=0 ${HOST_ENV:-} dotnet "$BIN" up --port "$PORT" --tls-port -1 --grpc-port -1 --data-dir "$DATA" "${storage[@]}" >"$DATA/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 1 100); do port_in_use "$PORT" && break; sleep 0.2; done
port_in_use "$PORT" || { cat "$DATA/host.log" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# POSTMASTER_PID: also count PostgreSQL's CPU (the postmaster, its live children and the children it reaped).
db_ticks() {
  [[ -n "${POSTMASTER_PID:-}" ]] || { echo 0; return; }
  { awk '{print $14 + $15 + $16 + $17}' "/proc/$POSTMASTER_PID/stat"
    for c in $(pgrep -P "$POSTMASTER_PID"); do awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null; done; } | awk '{s += $1} END {print s + 0}'
}
HZ=$(getconf CLK_TCK)

# A first, smaller run warms the host up (JIT tiers, pools, page cache) so the measured run sees a steady state.
if [[ "${WARMUP:-1}" != 0 ]]; then
  warm=()
  skip=0
  for a in "$@"; do
    if ((skip)); then skip=0; continue; fi
    [[ "$a" == --records ]] && { skip=1; continue; }
    warm+=("$a")
  done
  dotnet "$LOADGEN" --endpoint "http://127.0.0.1:$PORT" --verify false --json "${warm[@]}" --records "${WARMUP_RECORDS:-600000}" >/dev/null
fi
before=$(ticks "$HOST_PID")
db_before=$(db_ticks)
PERF_PID=""
if [[ "${PERF:-0}" != 0 ]]; then
  perf record -F 999 -g -p "$HOST_PID" -o "$DATA/perf.data" >/dev/null 2>&1 &
  PERF_PID=$!
fi
start=$(date +%s.%N)
TIMEFORMAT='%U %S'
{ time env ${LOADGEN_ENV:-X=1} dotnet "$LOADGEN" --endpoint "http://127.0.0.1:$PORT" --verify "${VERIFY:-false}" --json "$@" >"$DATA/out.json"; } 2>"$DATA/time.txt"
end=$(date +%s.%N)
after=$(ticks "$HOST_PID")
db_after=$(db_ticks)
if [[ -n "$PERF_PID" ]]; then
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  cp "$DATA/perf.data" /tmp/sluice-bench.perf.data
  perf report -i "$DATA/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -v '^#' | grep '%' | head -120 >/tmp/sluice-bench.perf.txt || true
  perf report -i "$DATA/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep '%' | head -30 >>/tmp/sluice-bench.perf.txt || true
fi
[[ "${QUIET:-0}" != 0 ]] || cat "$DATA/out.json"
records=$(python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print(d["recordsAcknowledged"])' "$DATA/out.json" 2>/dev/null || echo 0)
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); l=d["latencyMs"]; print(d["operation"], round(d["recordsPerSecond"]), "records/s p50", l["p50"], "ms p99", l["p99"], "ms")' "$DATA/out.json"
read -r lu ls <"$DATA/time.txt"
python3 - "$before" "$after" "$HZ" "$lu" "$ls" "$records" "$start" "$end" "$db_before" "$db_after" <<'PY'
import sys
b, a, hz, lu, ls, n, s, e, db, da = sys.argv[1:]
n = int(n) or 1
host = (int(a) - int(b)) / int(hz)
gen = float(lu) + float(ls)
line = f"records={n} wall={float(e)-float(s):.1f}s host_cpu={host:.2f}s ({host/n*1e6:.2f} us/record) loadgen_cpu={gen:.2f}s ({gen/n*1e6:.2f} us/record)"
if int(da) > 0:
    dbs = (int(da) - int(db)) / int(hz)
    line += f" postgres_cpu={dbs:.2f}s ({dbs/n*1e6:.2f} us/record)"
print(line)
PY
