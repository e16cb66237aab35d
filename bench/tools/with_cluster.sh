#!/usr/bin/env bash
# with_cluster.sh [--reuse] SCRIPT [ARGS...]
# Runs a bench script against the cluster scenario's containers: brings them
# up (molecule create + converge, destroyed afterwards) unless --reuse says
# they are already up, then runs SCRIPT --inventory molecule/cluster/inventory ARGS.
set -euo pipefail
cd "$(dirname "$0")/../.."
reuse=0
if [ "${1:-}" = "--reuse" ]; then reuse=1; shift; fi
script=$1; shift
python3 scripts/run_suite.py --setup-only >/dev/null
DOCKER_HOST=$(bash scripts/container_engine.sh | tail -1)
case "$DOCKER_HOST" in *podman*) WEBSTACK_ENGINE=podman ;; *) WEBSTACK_ENGINE=docker ;; esac
export DOCKER_HOST WEBSTACK_ENGINE ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections" PATH="$PWD/.venv/bin:$PATH"
# The scenario's static inventory names the same containers with the same variables.
export MOLECULE_PROJECT_DIRECTORY="$PWD"
if [ "$reuse" = 0 ]; then
  molecule create -s cluster && molecule converge -s cluster
  trap 'molecule destroy -s cluster >/dev/null' EXIT
fi
python3 "$script" --inventory molecule/cluster/inventory "$@"
