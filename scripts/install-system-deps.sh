#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the lab and tests need; idempotent and quiet when all are present.
set -euo pipefail
PKGS=(iproute2 iputils-ping iputils-arping dnsmasq-base iptables awscli tcpdump procps
      systemd qemu-user-static libc6-arm64-cross rpm binutils curl isc-dhcp-client strace time)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
