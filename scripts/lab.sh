#!/usr/bin/env bash
# make lab / make lab-status / make lab-destroy: the whole stack in local
# containers. `up` sets up the machine (virtualenv, container engine, images)
# like `make test` does, creates the containers and secrets, runs site.yml
# and prints the status of every tier.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:-up}
inventory=inventories/lab/hosts.yml

python3 scripts/run_suite.py --setup-only >/tmp/webstack-lab-setup.log 2>&1 || {
  tail -30 /tmp/webstack-lab-setup.log; echo "setup failed; log: /tmp/webstack-lab-setup.log" >&2; exit 1; }
DOCKER_HOST=$(bash scripts/container_engine.sh | tail -1)
case "$DOCKER_HOST" in *podman*) WEBSTACK_ENGINE=podman ;; *) WEBSTACK_ENGINE=docker ;; esac
export DOCKER_HOST WEBSTACK_ENGINE
export ANSIBLE_COLLECTIONS_PATH="$PWD/build/collections"
export ANSIBLE_FORKS=20 ANSIBLE_PIPELINING=1
export PATH="$PWD/.venv/bin:$PATH"
playbook() { ansible-playbook -i "$inventory" "$@"; }

start=$(date +%s)
case "$action" in
  up)
    playbook playbooks/lab_up.yml
    playbook playbooks/site.yml
    playbook playbooks/lab_status.yml
    echo "lab up in $(( $(date +%s) - start )) s: https://localhost:8443/"
    ;;
  status) playbook playbooks/lab_status.yml ;;
  destroy) playbook playbooks/lab_destroy.yml ;;
  *) echo "usage: $0 up|status|destroy" >&2; exit 2 ;;
esac
