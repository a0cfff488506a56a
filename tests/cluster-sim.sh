#!/usr/bin/env bash
# The cluster simulation of docs/cluster.md: N member processes (`up --cluster-bind`) on 127.0.0.1, each with its
# own project dir and D daemons (/bin/sleep 1d, no health check) of its own in the specs it brings, so N x D daemons in
# one session. Prints: time to converge (first node started -> every daemon running), time to re-place a dead node's
# daemons (kill -9 of a node that is not the oldest -> every daemon running again), and each node's RSS against a
# plain `up` of D daemons. Stops everything and leaves nothing behind. Usage: tests/cluster-sim.sh [NODES] [DAEMONS]
set -euo pipefail
NODES=${1:-5}
DAEMONS=${2:-40}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI="$ROOT/src/ActorSupervisor.Cli/bin/Release/net10.0/actorsupervisor"
[ -x "$CLI" ] || dotnet build "$ROOT/src/ActorSupervisor.Cli" -c Release >/dev/null
WORK=$(mktemp -d /tmp/cluster-sim-XXXXXX)
BASE=${BASE_PORT:-4750}
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; for p in "${PIDS[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.2; done; done; rm -rf "$WORK"; }
trap cleanup EXIT
now() { date +%s.%N; }
# HOCON spec files: the daemons, and (SIM_HOCON) cluster settings, e.g. a more tolerant failure detector on a loaded machine.
specs() { python3 -c "import json,sys; print(sys.argv[3] + '\nactorsupervisor.daemons = ' + json.dumps([{'name': f'{sys.argv[1]}-{i}', 'command': '/bin/sleep', 'args': ['1d']} for i in range(int(sys.argv[2]))]))" "$1" "$2" "${SIM_HOCON:-}"; }
running() { "$CLI" status --json --project-dir "$1" 2>/dev/null | python3 -c "import json,sys; print(sum(1 for d in json.load(sys.stdin) if d['state']=='running' and d['reason'] is None))" 2>/dev/null || echo 0; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

# A plain supervisor with the same D daemons, for the cost of clustering.
mkdir -p "$WORK/plain"; specs plain "$DAEMONS" > "$WORK/plain/specs.conf"
"$CLI" up --specs "$WORK/plain/specs.conf" --project-dir "$WORK/plain" --session plain >/dev/null 2>&1 & PLAIN=$!; PIDS+=($PLAIN)

start=$(now)
for i in $(seq 1 "$NODES"); do
  dir="$WORK/n$i"; mkdir -p "$dir"; specs "n$i" "$DAEMONS" > "$dir/specs.conf"
  "$CLI" up --specs "$dir/specs.conf" --project-dir "$dir" --session sim --cluster-bind "127.0.0.1:$((BASE+i))" \
    --seed "127.0.0.1:$((BASE+1))" --node "n$i" > "$dir/out" 2> "$dir/err" &
  PIDS+=($!)
done
TOTAL=$((NODES*DAEMONS))
until [ "$(running "$WORK/n1")" -ge "$TOTAL" ]; do sleep 0.5; done
converged=$(echo "$(now) - $start" | bc)
sleep 10 # settle before measuring memory
echo "nodes=$NODES daemons/node=$DAEMONS total=$TOTAL"
echo "converge: ${converged}s (first up started -> $TOTAL running, seen from n1)"
plain_rss=$(rss "$PLAIN")
for i in $(seq 1 "$NODES"); do echo "rss n$i: $(rss "${PIDS[$i]}") kB"; done
echo "rss plain up ($DAEMONS daemons): $plain_rss kB"
avg=$(for i in $(seq 1 "$NODES"); do rss "${PIDS[$i]}"; done | awk '{s+=$1} END {printf "%d", s/NR}')
echo "clustering cost per node: $((avg - plain_rss)) kB (mean cluster node RSS - plain RSS)"

victim=$NODES
kill -9 "${PIDS[$victim]}"
killed=$(now)
until [ "$(running "$WORK/n1")" -ge "$TOTAL" ]; do sleep 0.5; done
echo "re-place after kill -9 of n$victim: $(echo "$(now) - $killed" | bc)s ($DAEMONS daemons moved)"
dups=$(ps -eo args | grep -c '^/bin/sleep 1d$' || true)
echo "sleep processes now: $dups (expect $((TOTAL + DAEMONS)) = cluster $TOTAL + plain $DAEMONS)"
