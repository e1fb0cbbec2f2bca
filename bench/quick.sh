#!/usr/bin/env bash
# The first-figures run of issue 2: redis-benchmark -t ping,set,get,incr,mset -c 50 -r 1000000
# against tallyd (appendfsync always) and redis-server (appendonly yes, appendfsync always),
# one after the other in the same run. Usage: bench/quick.sh [path/to/tallyd]
set -euo pipefail
TALLYD="${1:-build-release/tallyd}"
T=$(mktemp -d); R=$(mktemp -d)
"$TALLYD" --port 17379 --dir "$T" --appendfsync always --loglevel warning & TP=$!
redis-server --port 17380 --dir "$R" --save "" --appendonly yes --appendfsync always \
  --loglevel warning & RP=$!
trap 'kill $TP $RP 2>/dev/null; wait; rm -rf "$T" "$R"' EXIT
sleep 1
for who in tallyd:17379 redis:17380; do
  echo "== ${who%%:*}"
  redis-benchmark -p "${who##*:}" -t ping,set,get,incr,mset -c 50 -r 1000000 -q 2>&1 \
    | tr '\r' '\n' | grep "per second"
done
