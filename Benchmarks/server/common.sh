# Shared by run.sh and compare.sh (sourced): waiting for servers, the bench table, the request bodies, and
# requests/second from wrk. Needs HERE (this folder) and DURATION set by the caller.
SELECT_BODY='{"requests":[{"type":"execute","stmt":{"sql":"SELECT 1"}},{"type":"close"}]}'
INSERT_BODY='{"requests":[{"type":"execute","stmt":{"sql":"INSERT INTO bench(v) VALUES (?)","args":[{"type":"text","value":"hello"}]}},{"type":"close"}]}'

wait_ready() { # port...
  local port
  for port in "$@"; do
    for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  done
}

create_bench_table() { # port...
  local port
  for port in "$@"; do
    curl -fs -X POST "http://127.0.0.1:$port/v3/pipeline" \
      -d '{"requests":[{"type":"execute","stmt":{"sql":"CREATE TABLE IF NOT EXISTS bench(id INTEGER PRIMARY KEY, v TEXT)"}},{"type":"close"}]}' >/dev/null
  done
}

rps() { # port body connections
  local threads=$(( $3 < 2 ? 1 : 2 ))
  BODY="$2" wrk -t"$threads" -c"$3" -d"$DURATION" -s "$HERE/pipeline.lua" "http://127.0.0.1:$1/v3/pipeline" \
    | awk '/Requests\/sec/ { print $2 }'
}
