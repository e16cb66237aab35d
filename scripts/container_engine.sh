#!/usr/bin/env bash
# Make a Docker-API container engine answer at $DOCKER_HOST for molecule's
# docker driver and community.docker.
#
# A real Docker engine (a user's laptop) is used as it is. Otherwise, on
# Debian, install Podman and serve the Docker API from it, configured the way
# our test machines need (see docs/contributing.md):
#   - runc, because crun refuses the hosts' hybrid cgroups;
#   - default ulimits below the host's hard open-files limit (20000).
# Prints the DOCKER_HOST to use on its last line.
set -euo pipefail

PODMAN_SOCKET=/run/podman/podman.sock

engine_answers() {
  DOCKER_HOST="$1" timeout 10 docker info >/dev/null 2>&1 || \
    curl -fsS --max-time 5 --unix-socket "${1#unix://}" http://d/_ping >/dev/null 2>&1
}

if [ -n "${DOCKER_HOST:-}" ] && engine_answers "$DOCKER_HOST"; then
  echo "$DOCKER_HOST"; exit 0
fi
if [ -S /var/run/docker.sock ] && engine_answers unix:///var/run/docker.sock; then
  echo "unix:///var/run/docker.sock"; exit 0
fi

if ! command -v podman >/dev/null || ! command -v runc >/dev/null \
   || ! command -v debootstrap >/dev/null; then
  echo "Installing podman, runc and debootstrap from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends podman runc debootstrap \
    iptables netavark aardvark-dns uidmap fuse-overlayfs slirp4netns curl >&2
fi

mkdir -p /etc/containers
conf=/etc/containers/containers.conf
want='# Written by scaleout.webstack scripts/container_engine.sh
[containers]
default_ulimits = ["nofile=10000:10000", "nproc=4096:4096"]

[engine]
runtime = "runc"

[network]
network_backend = "netavark"'
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  printf '%s\n' "$want" > "$conf"
fi

if ! engine_answers "unix://$PODMAN_SOCKET"; then
  mkdir -p "$(dirname "$PODMAN_SOCKET")"
  rm -f "$PODMAN_SOCKET"
  nohup podman system service --time=0 "unix://$PODMAN_SOCKET" \
    >/var/log/podman-api.log 2>&1 &
  for _ in $(seq 1 50); do
    engine_answers "unix://$PODMAN_SOCKET" && break
    sleep 0.2
  done
  engine_answers "unix://$PODMAN_SOCKET" || {
    echo "podman API did not answer at $PODMAN_SOCKET; see /var/log/podman-api.log" >&2
    exit 1
  }
fi
echo "unix://$PODMAN_SOCKET"
