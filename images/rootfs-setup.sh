#!/bin/sh
# Finish a Debian root filesystem as a systemd container image.
# Usage: rootfs-setup.sh ROOT
set -eu
root=${1:-/}
chroot_run() { chroot "$root" /bin/sh -c "$1"; }

# Trust the controller's local CAs (a TLS proxy in front of the registries).
chroot_run 'update-ca-certificates >/dev/null 2>&1 || true'
# Node.js reads only its bundled CAs unless told otherwise.
echo 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' >> "$root/etc/environment"

# Units that cannot work inside a container.
for unit in systemd-modules-load.service sys-kernel-config.mount \
    sys-kernel-debug.mount sys-fs-fuse-connections.mount \
    systemd-remount-fs.service getty.target console-getty.service \
    systemd-firstboot.service systemd-udevd.service systemd-udev-trigger.service; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# Keep downloaded packages so a mounted cache makes the next run faster.
rm -f "$root/etc/apt/apt.conf.d/docker-clean"
echo 'APT::Keep-Downloaded-Packages "true";' > "$root/etc/apt/apt.conf.d/10keep-archives"
# No documentation, smaller installs.
cat > "$root/etc/dpkg/dpkg.cfg.d/01-nodoc" <<'CFG'
path-exclude /usr/share/doc/*
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
CFG
printf '' > "$root/etc/machine-id"
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
