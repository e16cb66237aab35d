#!/usr/bin/env bash
# Build the systemd base images localhost/webstack-debian:13 and :12 once per
# machine. With Podman (no registry reachable) the root filesystem comes from
# debootstrap; with a Docker engine from `docker build` of images/Dockerfile.
# Either way the controller's local CA certificates are trusted inside.
# Usage: build_images.sh [--force] [13|12 ...]
set -euo pipefail
cd "$(dirname "$0")/.."

force=0
releases=()
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    12|13) releases+=("$arg") ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
[ ${#releases[@]} -gt 0 ] || releases=(13 12)

codename() { case "$1" in 13) echo trixie ;; 12) echo bookworm ;; esac; }

local_cas() {
  # The controller's extra CAs: Debian keeps them here.
  find /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null || true
}

# run_suite.py says which engine answered; on our machines it is Podman.
engine=${WEBSTACK_ENGINE:-}
if [ -z "$engine" ]; then
  case "${DOCKER_HOST:-}" in *podman*) engine=podman ;; *) engine=docker ;; esac
fi

for rel in "${releases[@]}"; do
  image="localhost/webstack-debian:$rel"
  if [ "$force" = 0 ] && $engine image inspect "$image" >/dev/null 2>&1; then
    echo "image $image exists"; continue
  fi
  start=$(date +%s)
  if [ "$engine" = podman ]; then
    root=$(mktemp -d /var/tmp/webstack-rootfs.XXXXXX)
    trap 'rm -rf "$root"' EXIT
    debootstrap --variant=minbase \
      --include=python3,systemd,systemd-sysv,sudo,iproute2,procps,ca-certificates \
      "$(codename "$rel")" "$root" >/var/tmp/debootstrap-$rel.log 2>&1 || {
        echo "debootstrap failed; last lines of /var/tmp/debootstrap-$rel.log:" >&2
        tail -20 /var/tmp/debootstrap-$rel.log >&2; exit 1; }
    for ca in $(local_cas); do cp "$ca" "$root/usr/local/share/ca-certificates/"; done
    sh images/rootfs-setup.sh "$root"
    tar -C "$root" -c . | podman import \
      --change 'CMD ["/lib/systemd/systemd"]' --change 'STOPSIGNAL=SIGRTMIN+3' \
      - "$image" >/dev/null 2>&1
    rm -rf "$root"; trap - EXIT
  else
    ctx=$(mktemp -d)
    cp images/Dockerfile images/rootfs-setup.sh "$ctx/"
    mkdir -p "$ctx/ca-certificates"
    for ca in $(local_cas); do cp "$ca" "$ctx/ca-certificates/"; done
    docker build -q --build-arg "DEBIAN_RELEASE=$(codename "$rel")" -t "$image" "$ctx" >/dev/null
    rm -rf "$ctx"
  fi
  echo "built $image in $(( $(date +%s) - start )) s"
done
