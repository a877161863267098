#!/usr/bin/env bash
# Unpacks Debian's kernel for the kernel lab (test/lab/kernel): downloaded with apt-get, unpacked with dpkg-deb, never
# installed (no initramfs, no bootloader, the machine's own kernel untouched). Idempotent and quiet when present.
set -euo pipefail
CACHE=${KERNEL_LAB_CACHE:-/var/cache/outposts-node-agent/kernel-lab}
if compgen -G "$CACHE/root/boot/vmlinuz-*" >/dev/null && compgen -G "$CACHE/root/lib/modules/*/kernel" >/dev/null; then
  exit 0
fi
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
# linux-image-amd64 is the meta package; its dependency names the kernel it stands for.
pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
  echo "kernel lab: cannot find the kernel package behind linux-image-amd64 (apt-get update first?)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "kernel lab: unpacking $pkg into $CACHE" >&2
(cd "$work" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
  echo "kernel lab: apt-get download $pkg failed" >&2
  exit 1
}
$SUDO mkdir -p "$CACHE"
$SUDO rm -rf "$CACHE/root.tmp"
$SUDO dpkg-deb -x "$work"/*.deb "$CACHE/root.tmp"
$SUDO rm -rf "$CACHE/root"
$SUDO mv "$CACHE/root.tmp" "$CACHE/root"
