#!/usr/bin/env bash
# Streaming benchmark: a fresh data directory, a gateway token, rastrod, then `rastro send` of one CSV file.
# Prints the client's counts and rate, and the CPU both processes used (docs/performance.md §3).
#
#   Benchmarks/e2e/send.sh FILE [CONNECTIONS] [BATCH] [WINDOW] [PROTOCOL]
#
# Uses the release build (make build). Ports 7410/7411/7490 so a `make run` server can stay up beside it.
set -euo pipefail
file=${1:?usage: send.sh FILE [CONNECTIONS] [BATCH] [WINDOW] [binary|csv|http]}
connections=${2:-4}
batch=${3:-5000}
window=${4:-16}
protocol=${5:-binary}
bin=$(cd "$(dirname "$0")/../.." && pwd)/.build/release
data=$(mktemp -d /tmp/rastro-send-bench.XXXXXX)
trap 'rm -rf "$data"' EXIT
"$bin/rastro" init --data "$data/db" >/dev/null
token=$("$bin/rastro" token create --gateway bench --data "$data/db" 2>/dev/null | awk '{print $NF}')
/usr/bin/time -f "server cpu: user %U s, sys %S s, peak resident %M KB" "$bin/rastrod" --data "$data/db" --log-level warning ${RASTROD_ARGS:-} \
  --binary-port 7410 --csv-port 7411 --http-port 7490 &
server=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/7410) 2>/dev/null && break; sleep 0.1; done
case $protocol in binary) port=7410 ;; csv) port=7411 ;; http) port=7490 ;; *) echo "unknown protocol $protocol" >&2; exit 2 ;; esac
/usr/bin/time -f "client cpu: user %U s, sys %S s, wall %e s" "$bin/rastro" send "$file" --to "127.0.0.1:$port" \
  --token "$token" --connections "$connections" --batch-size "$batch" --window "$window" --protocol "$protocol" --quiet
kill -INT "$(pgrep -P $server rastrod || echo $server)" 2>/dev/null || true
wait $server || true
