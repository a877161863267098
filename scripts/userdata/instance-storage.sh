#!/bin/bash
# Instance storage: format (XFS) and mount the NVMe instance-store disks, RAID 0 when there are several; idempotent.
set -euo pipefail
MOUNT_POINT='/mnt/instance-store'
mountpoint -q "$MOUNT_POINT" && exit 0
mapfile -t disks < <(
  for link in /dev/disk/by-id/nvme-Amazon_EC2_NVMe_Instance_Storage_*; do
    [ -e "$link" ] && [[ "$link" != *-part* ]] && readlink -f "$link"
  done | sort -u
)
[ ${#disks[@]} -gt 0 ] || { echo "no instance-store disks; nothing to mount"; exit 0; }
dev=${disks[0]}
if [ ${#disks[@]} -gt 1 ]; then
  dev=/dev/md/instance-store
  [ -e "$dev" ] || mdadm --create "$dev" --level=0 --raid-devices=${#disks[@]} --run "${disks[@]}"
fi
blkid "$dev" >/dev/null 2>&1 || mkfs.xfs -q "$dev"
mkdir -p "$MOUNT_POINT"
uuid=$(blkid -s UUID -o value "$dev")
grep -q "UUID=$uuid " /etc/fstab || echo "UUID=$uuid $MOUNT_POINT xfs defaults,noatime,nofail 0 2" >> /etc/fstab
mount "$MOUNT_POINT"
