#!/usr/bin/env bash
# The cost of the control plane: PSS and idle CPU of `actorsupervisor up` at N daemons (the benchmark's native
# daemon, probed over HTTP every 5 s), with the control socket only and with --http (TCP listener, /metrics,
# dashboard, metrics collected), measured in the same run, alternating, ROUNDS times each. With BASELINE=path to an
# actorsupervisor built without the control plane, that one is measured too. Figures are only meaningful on a quiet
# machine; on a shared one they are rough.
#
#   tests/control-cost.sh [N=200] [IDLE_SECONDS=30] [ROUNDS=2]
set -euo pipefail
N=${1:-200}
IDLE=${2:-30}
ROUNDS=${3:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
cli=$root/src/ActorSupervisor.Cli/bin/Release/net10.0/actorsupervisor
[ -x "$cli" ] || dotnet build "$root/src/ActorSupervisor.Cli" -c Release >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -O2 -o "$work/benchdaemon" "$root/tests/ActorSupervisor.Benchmarks/native/benchdaemon.c"
python3 - "$work" "$N" <<'PY'
import json, sys
work, n = sys.argv[1], int(sys.argv[2])
specs = [{"name": f"d{i:04d}", "command": f"{work}/benchdaemon", "port_flag": "--port", "needs_port": True,
          "health_url": "/health"} for i in range(n)]
json.dump(specs, open(f"{work}/specs.json", "w"))
PY
ticks=$(getconf CLK_TCK)

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }

measure() { # label, binary, extra flags...
  local label=$1 bin=$2; shift 2
  local project=$work/$label-$RANDOM
  mkdir -p "$project"
  "$bin" up --specs "$work/specs.json" --project-dir "$project" --session cost "$@" >"$project/up.out" 2>"$project/up.err" &
  local pid=$!
  local deadline=$((SECONDS + 300))
  until [ "$(grep -c 'state=running' "$project/up.out" || true)" -ge "$N" ]; do
    if [ $SECONDS -gt $deadline ] || ! kill -0 $pid 2>/dev/null; then echo "$label: daemons did not all run" >&2; tail "$project/up.err" >&2; kill -TERM $pid 2>/dev/null; return 1; fi
    sleep 1
  done
  sleep 10 # settle: start-up garbage collected, probes at their steady interval
  local t0 t1
  t0=$(cpu_ticks $pid)
  sleep "$IDLE"
  t1=$(cpu_ticks $pid)
  local pss
  pss=$(pss_kb $pid)
  awk -v l="$label" -v t=$((t1 - t0)) -v hz="$ticks" -v s="$IDLE" -v p="$pss" \
    'BEGIN { printf "%-14s idle CPU %5.2f %% of a core   PSS %6.1f MB\n", l, 100 * t / hz / s, p / 1024 }'
  kill -TERM $pid
  wait $pid || true
}

echo "N=$N daemons, idle window ${IDLE}s, $ROUNDS round(s)"
for _ in $(seq "$ROUNDS"); do
  [ -n "${BASELINE:-}" ] && measure baseline "$BASELINE"
  measure socket-only "$cli"
  measure with-http "$cli" --http 127.0.0.1:0
done
