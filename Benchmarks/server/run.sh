#!/usr/bin/env bash
# Server benchmark: pipeline requests/second for SELECT 1 and a single-row INSERT with 1 and 16 connections,
# beside the same HTTP framework (hummingbird) serving a constant JSON body, in the same run.
# Needs `wrk` (apt-get install -y wrk). Usage: Benchmarks/server/run.sh [duration, default 10s]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION="${1:-10s}"
HERE="Benchmarks/server"
# shellcheck source=Benchmarks/server/common.sh
source "$HERE/common.sh"
# CONFIGURATION=debug reuses a debug build (numbers only comparable within one run).
CONFIGURATION="${CONFIGURATION:-release}"
swift build -c "$CONFIGURATION" --product libsql >&2
BIN="$(swift build -c "$CONFIGURATION" --show-bin-path)/libsql"
WORK="$(mktemp -d)"
SERVER_PORT=18080
CONSTANT_PORT=18081
NO_INLINE_PORT=18082
NO_CAPTURE_PORT=18083
DURABLE_PORT=18084
"$BIN" serve --db "$WORK/bench.db" --port "$SERVER_PORT" --log-level error &
SERVER_PID=$!
# The same server without WAL capture for replicas (SQLite checkpoints on its own), and with every commit fsynced.
"$BIN" serve --db "$WORK/bench-no-capture.db" --port "$NO_CAPTURE_PORT" --no-replication --log-level error >/dev/null &
NO_CAPTURE_PID=$!
"$BIN" serve --db "$WORK/bench-durable.db" --port "$DURABLE_PORT" --durable-commits --log-level error >/dev/null &
DURABLE_PID=$!
# The same server with inline queries off: every statement runs on a worker thread.
"$BIN" serve --db "$WORK/bench-no-inline.db" --port "$NO_INLINE_PORT" --inline-query-limit 0 --log-level error >/dev/null &
NO_INLINE_PID=$!
"$BIN" serve --constant-body --port "$CONSTANT_PORT" --log-level error >/dev/null &
CONSTANT_PID=$!
cleanup() { kill "$SERVER_PID" "$CONSTANT_PID" "$NO_INLINE_PID" "$NO_CAPTURE_PID" "$DURABLE_PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
wait_ready "$SERVER_PORT" "$CONSTANT_PORT" "$NO_INLINE_PORT" "$NO_CAPTURE_PORT" "$DURABLE_PORT"
create_bench_table "$SERVER_PORT" "$NO_CAPTURE_PORT" "$DURABLE_PORT"

captures=()
echo "| Workload | Connections | Requests/s | Constant body requests/s | Ratio |"
echo "|---|---|---|---|---|"
for connections in 1 16; do
  # The baseline is measured before and after the workloads and averaged, so drift in the machine's load
  # during the run shows in neither direction.
  before=$(rps "$CONSTANT_PORT" "$SELECT_BODY" "$connections")
  rows=()
  for workload in select select-no-inline insert insert-no-capture insert-durable; do
    port="$SERVER_PORT"; body="$SELECT_BODY"; name='`SELECT 1`'
    case "$workload" in
      select-no-inline) port="$NO_INLINE_PORT"; name='`SELECT 1`, inline queries off' ;;
      insert) body="$INSERT_BODY"; name='single-row `INSERT`' ;;
      insert-no-capture) port="$NO_CAPTURE_PORT"; body="$INSERT_BODY"; name='single-row `INSERT`, replication capture off' ;;
      insert-durable) port="$DURABLE_PORT"; body="$INSERT_BODY"; name='single-row `INSERT`, `--durable-commits` (fsync per commit)' ;;
    esac
    rows+=("$name|$(rps "$port" "$body" "$connections")")
  done
  after=$(rps "$CONSTANT_PORT" "$SELECT_BODY" "$connections")
  constant=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.0f", (a + b) / 2 }')
  for row in "${rows[@]}"; do
    name="${row%%|*}"; value="${row##*|}"
    ratio=$(awk -v a="$value" -v b="$constant" 'BEGIN { printf "%.0f%%", 100 * a / b }')
    echo "| $name | $connections | $value | $constant ($before, $after) | $ratio |"
    case "$name" in
      'single-row `INSERT`') capture_on="$value" ;;
      *'capture off') capture_off="$value" ;;
    esac
  done
  captures+=("$connections|$capture_on|$capture_off")
done
echo
echo "| Connections | INSERT/s, capture on | INSERT/s, capture off | Capture on / off |"
echo "|---|---|---|---|"
for entry in "${captures[@]}"; do
  IFS='|' read -r connections on off <<< "$entry"
  echo "| $connections | $on | $off | $(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.0f%%", 100 * a / b }') |"
done
