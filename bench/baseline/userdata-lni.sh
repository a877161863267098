#!/usr/bin/env bash
# Baseline for the benchmarks: the LNI set up from EC2 userdata the way people do it today (AWS CLI v2 + iproute2).
#
# What a competent engineer writes in userdata without the agent: IMDSv2 via curl, the instance's own subnet and
# its LNI device index from EC2, create the ENI (tagged, idempotent client token), attach it at that index, poll
# until attached (there is no CLI waiter for "attached"), set DeleteOnTermination, then configure the interface
# found by MAC: sysctls, link, address, a policy table and rule. No sleeps beyond the polls that must wait.
# It runs once per instance (cloud-init), so there is no re-run logic, no state, no release/sweep/watch.
#
# Inputs (environment): LAN_ADDRESS (a.b.c.d/nn), LAN_GATEWAY; optional CLUSTER, TABLE (200), RULE_PRIORITY (2000),
# AWS_ENDPOINT_URL_EC2 (passed as --endpoint-url: CLI v2.9 does not read that variable itself),
# AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254/).
set -euo pipefail

AWS=/usr/bin/aws # the Debian awscli package (v2); a plain `aws` may be v1 on some hosts
: "${LAN_ADDRESS:?LAN_ADDRESS=a.b.c.d/nn is required}" "${LAN_GATEWAY:?LAN_GATEWAY is required}"
CLUSTER=${CLUSTER:-}
TABLE=${TABLE:-200}
RULE_PRIORITY=${RULE_PRIORITY:-2000}
IMDS=${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254/}
IMDS=${IMDS%/}
TIMEOUT_SECONDS=${TIMEOUT_SECONDS:-120}

log() { printf 'userdata-lni: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- IMDSv2 -------------------------------------------------------------------------------------------------
token=$(curl -sSf --retry 3 -X PUT "$IMDS/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')
md() { curl -sSf --retry 3 -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"; }
instance_id=$(md instance-id)
region=$(md placement/region)
primary_mac=$(md mac)
subnet_id=$(md "network/interfaces/macs/$primary_mac/subnet-id")

export AWS_DEFAULT_REGION=$region AWS_PAGER=''
ec2() {
  if [ -n "${AWS_ENDPOINT_URL_EC2:-}" ]; then
    "$AWS" ec2 --endpoint-url "$AWS_ENDPOINT_URL_EC2" --output text "$@"
  else
    "$AWS" ec2 --output text "$@"
  fi
}

# --- EC2: subnet → create → attach → wait → DeleteOnTermination -----------------------------------------
device_index=$(ec2 describe-subnets --subnet-ids "$subnet_id" --query 'Subnets[0].EnableLniAtDeviceIndex')
case "$device_index" in '' | None | 0) die "subnet $subnet_id has no LNI device index" ;; esac

tags="{Key=Name,Value=lni-$instance_id},{Key=outposts-node-agent:owner-instance,Value=$instance_id}"
tags+=",{Key=node.k8s.amazonaws.com/no_manage,Value=true}"
[ -n "$CLUSTER" ] && tags+=",{Key=outposts-node-agent:cluster,Value=$CLUSTER}"
read -r eni_id lni_mac < <(ec2 create-network-interface --subnet-id "$subnet_id" \
  --description "LNI of $instance_id" --client-token "lni-$instance_id" \
  --tag-specifications "ResourceType=network-interface,Tags=[$tags]" \
  --query 'NetworkInterface.[NetworkInterfaceId,MacAddress]')
log "created $eni_id ($lni_mac)"

deadline=$((SECONDS + TIMEOUT_SECONDS))
err=$(mktemp)
trap 'rm -f "$err"' EXIT
# A just-created ENI may not be visible yet (eventual consistency): retry only on NotFound.
until attachment_id=$(ec2 attach-network-interface --network-interface-id "$eni_id" \
  --instance-id "$instance_id" --device-index "$device_index" --query AttachmentId 2>"$err"); do
  grep -q 'InvalidNetworkInterfaceID.NotFound' "$err" || die "attach failed: $(cat "$err")"
  [ "$SECONDS" -lt "$deadline" ] || die "$eni_id never became visible"
done

# No CLI waiter exists for an ENI's attachment; each CLI call takes long enough that no extra sleep is needed.
until [ "$(ec2 describe-network-interfaces --network-interface-ids "$eni_id" \
  --query 'NetworkInterfaces[0].Attachment.Status')" = attached ]; do
  [ "$SECONDS" -lt "$deadline" ] || die "$eni_id not attached within ${TIMEOUT_SECONDS}s"
done
ec2 modify-network-interface-attribute --network-interface-id "$eni_id" \
  --attachment "AttachmentId=$attachment_id,DeleteOnTermination=true"
log "attached $eni_id as $attachment_id at index $device_index, DeleteOnTermination=true"

# --- Host: the interface with the LNI's MAC (its name differs by instance family) -------------------------
ifname=''
until [ -n "$ifname" ]; do
  for dev in /sys/class/net/*; do
    [ "$(cat "$dev/address" 2>/dev/null)" = "$lni_mac" ] && ifname=${dev##*/}
  done
  [ -n "$ifname" ] && break
  [ "$SECONDS" -lt "$deadline" ] || die "no interface with MAC $lni_mac"
  sleep 0.1
done

address=${LAN_ADDRESS%/*}
sysctl -qw "net.ipv4.conf.$ifname.arp_ignore=1" "net.ipv4.conf.$ifname.arp_announce=2" \
  "net.ipv4.conf.$ifname.rp_filter=2"
ip link set dev "$ifname" mtu 1500 up
ip addr replace "$LAN_ADDRESS" dev "$ifname"
lan_cidr=$(ip -4 route show proto kernel dev "$ifname" | awk 'NR==1{print $1}')
ip route replace "$lan_cidr" dev "$ifname" src "$address" table "$TABLE"
ip route replace default via "$LAN_GATEWAY" dev "$ifname" table "$TABLE"
ip rule add from "$address" lookup "$TABLE" priority "$RULE_PRIORITY"
log "$ifname with $LAN_ADDRESS, table $TABLE, rule $RULE_PRIORITY"
