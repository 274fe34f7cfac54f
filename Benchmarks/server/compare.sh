#!/usr/bin/env bash
# A/B server benchmark: two `libsql` binaries (for example main before and after a change) serve the same
# workloads, interleaved round by round so that load on the machine hits both alike. Prints requests/second
# per workload and the ratio B/A, per round and as a median. Needs `wrk`.
# Usage: Benchmarks/server/compare.sh BIN_A BIN_B [duration, default 5s] [rounds, default 3]
# ARGS_A / ARGS_B: extra `serve` arguments for one side (for example ARGS_B=--no-replication).
# WORKLOADS: which of "select insert" to run (default both).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN_A="$1"; BIN_B="$2"; DURATION="${3:-5s}"; ROUNDS="${4:-3}"
HERE="Benchmarks/server"
# shellcheck source=Benchmarks/server/common.sh
source "$HERE/common.sh"
WORK="$(mktemp -d)"
PORT_A=18090; PORT_B=18091
# shellcheck disable=SC2086
"$BIN_A" serve --db "$WORK/a.db" --port "$PORT_A" --log-level error ${ARGS_A:-} >/dev/null &
PID_A=$!
# shellcheck disable=SC2086
"$BIN_B" serve --db "$WORK/b.db" --port "$PORT_B" --log-level error ${ARGS_B:-} >/dev/null &
PID_B=$!
cleanup() { kill "$PID_A" "$PID_B" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
wait_ready "$PORT_A" "$PORT_B"
create_bench_table "$PORT_A" "$PORT_B"
declare -A ratios
echo "| Round | Workload | Connections | A req/s | B req/s | B/A |"
echo "|---|---|---|---|---|---|"
for round in $(seq 1 "$ROUNDS"); do
  for connections in 1 16; do
    for workload in ${WORKLOADS:-select insert}; do
      body="$SELECT_BODY"; [ "$workload" = insert ] && body="$INSERT_BODY"
      # Alternate which side goes first, so a trend in the machine's load favours neither.
      if (( round % 2 )); then a=$(rps "$PORT_A" "$body" "$connections"); b=$(rps "$PORT_B" "$body" "$connections")
      else b=$(rps "$PORT_B" "$body" "$connections"); a=$(rps "$PORT_A" "$body" "$connections"); fi
      ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b / a }')
      ratios["$workload-$connections"]+="$ratio "
      echo "| $round | $workload | $connections | $a | $b | $ratio |"
    done
  done
done
echo
echo "| Workload | Connections | Median B/A |"
echo "|---|---|---|"
for key in select-1 insert-1 select-16 insert-16; do
  [ -n "${ratios[$key]:-}" ] || continue
  median=$(echo "${ratios[$key]}" | tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  echo "| ${key%-*} | ${key#*-} | $median |"
done
