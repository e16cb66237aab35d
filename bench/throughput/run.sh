#!/usr/bin/env bash
# bench/throughput/run.sh [--reuse] [bench.py options]: see bench.py and ../tools/with_cluster.sh
here=$(cd "$(dirname "$0")" && pwd)
reuse=()
if [ "${1:-}" = "--reuse" ]; then reuse=(--reuse); shift; fi
exec "$here/../tools/with_cluster.sh" "${reuse[@]}" "$here/bench.py" "$@"
