#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the lab and tests need; idempotent and quiet when all are present.
set -euo pipefail
# systemd (systemd-networkd), dbus and network-manager: the lab runs the node's real network managers in a node's
# namespaces (test/lab/os); util-linux gives unshare/nsenter.
# qemu-system-x86, busybox-static, cpio and kmod: the kernel lab boots Debian's kernel (unpacked by
# scripts/kernel-lab/prepare.sh) for the tests that need 802.1Q VLANs and ipvlan (test/kernel).
# prometheus-node-exporter: the real textfile collector reads the agent's metrics file (test/integration/metrics).
# rpmlint, groff and man-db: the RPMs are linted and the manual page rendered with warnings on (test/packaging).
PKGS=(iproute2 iputils-ping iputils-arping dnsmasq-base iptables awscli tcpdump procps
      systemd dbus network-manager util-linux qemu-user-static libc6-arm64-cross rpm binutils curl
      isc-dhcp-client strace time qemu-system-x86 busybox-static cpio kmod prometheus-node-exporter
      rpmlint groff man-db)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  exec bash "$(dirname "$0")/kernel-lab/prepare.sh"
fi
echo "installing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Packages such as network-manager start their daemon on install where systemd runs: on a CI machine that would hand
# the machine's own network to it. policy-rc.d exit 101 ("action forbidden") stops any daemon start during install.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  guard=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$guard" >/dev/null
  $SUDO chmod 0755 "$guard"
fi
trap '[ -z "$guard" ] || $SUDO rm -f "$guard"' EXIT
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
bash "$(dirname "$0")/kernel-lab/prepare.sh"
