#!/usr/bin/env bash
# Run the reference app's tests in a throwaway Debian container, so the
# result depends on Debian's Node.js, not on whatever the host has:
#
#   1. install Debian's nodejs and npm (apt);
#   2. copy the app (mounted read-only) to /tmp/app, `npm ci`, `npm test`;
#   3. `npm ci --omit=dev` in a second copy and check the production install
#      loads every module and exits 78 on an empty configuration.
#
# Usage: examples/app/scripts/test-in-container.sh
# Environment:
#   WEBSTACK_ENGINE   podman | docker (default: podman if installed, else docker)
#   WEBSTACK_DEBIAN   13 (Node 20, default) | 12 (Node 18)
#   WEBSTACK_APP_TEST_IMAGE  image to use (default localhost/webstack-debian:$WEBSTACK_DEBIAN)
#   WEBSTACK_CACHE_DIR       host cache root (default /var/cache/webstack; npm/ and
#                            apt/app-test/ below it are mounted when writable)
# Exits non-zero when a step or a test fails; prints a summary either way.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
release=${WEBSTACK_DEBIAN:-13}
image=${WEBSTACK_APP_TEST_IMAGE:-localhost/webstack-debian:$release}
cache_root=${WEBSTACK_CACHE_DIR:-/var/cache/webstack}

if [ -n "${WEBSTACK_ENGINE:-}" ]; then
  engine=$WEBSTACK_ENGINE
elif command -v podman >/dev/null 2>&1; then
  engine=podman
else
  engine=docker
fi
case "$engine" in podman|docker) ;; *) echo "WEBSTACK_ENGINE must be podman or docker, not '$engine'" >&2; exit 2 ;; esac
command -v "$engine" >/dev/null 2>&1 || { echo "container engine '$engine' not found" >&2; exit 2; }

if ! "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "image $image not found; build it first (make setup, or scripts/build_images.sh)" >&2
  exit 2
fi

mounts=(-v "$here:/src:ro")
cache_note="no host caches"
if mkdir -p "$cache_root/npm" "$cache_root/apt/app-test" 2>/dev/null \
   && [ -w "$cache_root/npm" ] && [ -w "$cache_root/apt/app-test" ]; then
  mounts+=(-v "$cache_root/npm:/npm-cache" -v "$cache_root/apt/app-test:/var/cache/apt/archives")
  cache_note="caches: $cache_root/npm, $cache_root/apt/app-test"
fi
# Registries may be reached through a TLS proxy whose CA only the host trusts.
if [ -d /usr/local/share/ca-certificates ]; then
  mounts+=(-v /usr/local/share/ca-certificates:/host-ca:ro)
fi

inner=$(cat <<'INNER'
set -euo pipefail
step() { printf '\n== %s (%ss)\n' "$1" "$SECONDS"; }
export DEBIAN_FRONTEND=noninteractive NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
export npm_config_cache=${NPM_CACHE:-/root/.npm} npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

if [ -d /host-ca ] && ls /host-ca/*.crt >/dev/null 2>&1; then
  cp /host-ca/*.crt /usr/local/share/ca-certificates/ 2>/dev/null || true
  update-ca-certificates >/dev/null 2>&1 || true
fi

step "apt: nodejs npm"
apt-get update -qq
apt-get install -y -qq --no-install-recommends nodejs npm >/tmp/apt.log 2>&1 || { tail -30 /tmp/apt.log; exit 1; }
echo "node $(node --version), npm $(npm --version)"

step "npm ci"
mkdir -p /tmp/app
tar -C /src --exclude=./node_modules -cf - . | tar -C /tmp/app -xf -
cd /tmp/app
npm ci --prefer-offline --loglevel=warn

step "npm test"
set +e
npm test 2>&1 | tee /tmp/test.out
test_rc=${PIPESTATUS[0]}
set -e

step "npm ci --omit=dev (production install)"
prod_rc=0
mkdir -p /tmp/prod
tar -C /src --exclude=./node_modules --exclude=./test -cf - . | tar -C /tmp/prod -xf -
(
  cd /tmp/prod
  npm ci --omit=dev --prefer-offline --loglevel=warn
  [ ! -d node_modules/socket.io-client ] || { echo "dev dependency installed by --omit=dev"; exit 1; }
  for m in src/*.js scripts/migrate.js; do node -e "require('./$m')"; done
  set +e; env -i PATH="$PATH" node server.js 2>/tmp/exit78.err; rc=$?; set -e
  [ "$rc" = 78 ] || { echo "empty configuration: expected exit 78, got $rc"; cat /tmp/exit78.err; exit 1; }
  echo "production install loads; empty configuration exits 78"
) || prod_rc=1

printf '\n== summary (node %s, %ss in the container)\n' "$(node --version)" "$SECONDS"
grep -E '^# (tests|pass|fail|cancelled|skipped|todo) ' /tmp/test.out || echo "no test summary (the runner failed early)"
grep -E '^not ok ' /tmp/test.out || true
echo "npm test exit: $test_rc; production install check: $([ $prod_rc = 0 ] && echo ok || echo FAILED)"
[ "$test_rc" = 0 ] && [ "$prod_rc" = 0 ]
INNER
)

echo "== reference app tests in $image via $engine ($cache_note)"
start=$(date +%s)
set +e
"$engine" run --rm --pull=never "${mounts[@]}" -e NPM_CACHE=/npm-cache "$image" bash -c "$inner"
rc=$?
set -e
took=$(( $(date +%s) - start ))
if [ "$rc" = 0 ]; then
  echo "== app tests PASSED on Debian $release in ${took}s"
else
  echo "== app tests FAILED on Debian $release (exit $rc) in ${took}s"
fi
exit "$rc"
