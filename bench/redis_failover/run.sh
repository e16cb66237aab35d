#!/usr/bin/env bash
# Redis Sentinel failover bench: brings up the molecule `redis` topology
# (3 x Redis + Sentinel, 1 client), then stops Redis on the master N times
# while a Sentinel-aware client (redis-py, the app user) writes every 50 ms.
# Prints, per run, the time from the stop to +switch-master and to the first
# successful write, then the medians. Prints numbers; never passes or fails
# on time.
# Usage: bench/redis_failover/run.sh [RUNS] [--keep] [--reuse]
#   --reuse  use running containers (skip molecule create/converge)
#   --keep   leave the containers running afterwards
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=3 keep=0 reuse=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    --reuse) reuse=1 ;;
    [0-9]*) runs=$arg ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
export PATH="$PWD/.venv/bin:$PATH"
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections"
export DOCKER_HOST="${DOCKER_HOST:-$(bash scripts/container_engine.sh 2>/dev/null | tail -1)}"
case "$DOCKER_HOST" in *podman*) engine=podman ;; *) engine=docker ;; esac
export WEBSTACK_ENGINE="${WEBSTACK_ENGINE:-$engine}"
if [ "$reuse" = 0 ]; then
  molecule create -s redis
  molecule converge -s redis
fi
python3 bench/redis_failover/drill.py --runs "$runs" --engine "$WEBSTACK_ENGINE"
if [ "$keep" = 0 ] && [ "$reuse" = 0 ]; then
  molecule destroy -s redis
fi
