#!/usr/bin/env bash
# Stand-in for AL2's /etc/eks/bootstrap.sh: its option list, cluster DNS and max-pods rules, rule by rule.
#
# Upstream: awslabs/amazon-eks-ami templates/al2/runtime/bootstrap.sh at 0ab842803d827b8087d78dd2eff0bc408caec771
# (the last commit with AL2; blob 387bf550a5a4349c84c7eacc4f2f0de8090e402c). Line numbers below are that file's.
# What it cannot do here (containerd, kubelet, kubeconfig, EKS's DescribeCluster) it records instead; what it
# writes lands under the node's host root, where the real script writes on a node:
#   /etc/kubernetes/kubelet/kubelet-config.json   clusterDNS and maxPods (the real file has much more)
#   /etc/systemd/system/kubelet.service.d/10-kubelet-args.conf, 30-kubelet-extra-args.conf
# Lab inputs: STAND_IN_RECORD (the arguments, one per line, for tests), STAND_IN_EXIT (fail on purpose),
# LAB_EKS_CLUSTER ("endpoint ca serviceIpv4Cidr": what DescribeCluster would answer; absent = unreachable).
set -o pipefail
set -o nounset
set -o errexit

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
record="${STAND_IN_RECORD:-$ROOT/bootstrap.args}"
: > "$record"
for a in "$@"; do printf '%s\n' "$a" >> "$record"; done
[ "${STAND_IN_EXIT:-0}" = 0 ] || exit "$STAND_IN_EXIT"

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S%z')" "[eks-bootstrap]" "$@" >&2; }

# Lines 55-183: every option but -h takes the next word as its value (`--opt=value` is not parsed); an unknown
# word is kept as a positional argument, not an error (`*) POSITIONAL+=("$1"); shift`).
POSITIONAL=()
while [[ $# -gt 0 ]]; do
  key="$1"
  case $key in
    -h | --help) echo "usage: bootstrap.sh [options] <cluster-name>"; exit 1 ;;
    --use-max-pods) USE_MAX_PODS="$2"; shift; shift ;;
    --b64-cluster-ca) B64_CLUSTER_CA=$2; shift; shift ;;
    --apiserver-endpoint) APISERVER_ENDPOINT=$2; shift; shift ;;
    --kubelet-extra-args) KUBELET_EXTRA_ARGS=$2; shift; shift ;;
    --enable-docker-bridge) ENABLE_DOCKER_BRIDGE=$2; shift; shift ;;
    --aws-api-retry-attempts) API_RETRY_ATTEMPTS=$2; shift; shift ;;
    --docker-config-json) DOCKER_CONFIG_JSON=$2; shift; shift ;;
    --containerd-config-file) CONTAINERD_CONFIG_FILE=$2; shift; shift ;;
    --pause-container-account) PAUSE_CONTAINER_ACCOUNT=$2; shift; shift ;;
    --pause-container-version) PAUSE_CONTAINER_VERSION=$2; shift; shift ;;
    --dns-cluster-ip) DNS_CLUSTER_IP=$2; shift; shift ;;
    --container-runtime) CONTAINER_RUNTIME=$2; shift; shift ;;
    --ip-family) IP_FAMILY=$2; shift; shift ;;
    --service-ipv4-cidr) SERVICE_IPV4_CIDR=$2; shift; shift ;;
    --service-ipv6-cidr) SERVICE_IPV6_CIDR=$2; shift; shift ;;
    --enable-local-outpost) ENABLE_LOCAL_OUTPOST=$2; shift; shift ;;
    --cluster-id) CLUSTER_ID=$2; shift; shift ;;
    --mount-bpf-fs) MOUNT_BPF_FS=$2; shift; shift ;;
    --local-disks) LOCAL_DISKS=$2; shift; shift ;;
    *) POSITIONAL+=("$1"); shift ;;
  esac
done

# Lines 185-188: the first positional argument is the cluster name; the rest are ignored.
set +u
set -- "${POSITIONAL[@]}"
CLUSTER_NAME="$1"
set -u

# Lines 215-228: defaults.
USE_MAX_PODS="${USE_MAX_PODS:-true}"
B64_CLUSTER_CA="${B64_CLUSTER_CA:-}"
APISERVER_ENDPOINT="${APISERVER_ENDPOINT:-}"
SERVICE_IPV4_CIDR="${SERVICE_IPV4_CIDR:-}"
DNS_CLUSTER_IP="${DNS_CLUSTER_IP:-}"
KUBELET_EXTRA_ARGS="${KUBELET_EXTRA_ARGS:-}"
IP_FAMILY="${IP_FAMILY:-}"
SERVICE_IPV6_CIDR="${SERVICE_IPV6_CIDR:-}"

# Lines 304-307.
if [ -z "$CLUSTER_NAME" ]; then
  log "ERROR: cluster name is not defined!"
  exit 1
fi

# IMDSv2, as the script's `imds` helper does (templates/al2/runtime/bin/imds).
IMDS="${AWS_EC2_METADATA_SERVICE_ENDPOINT:-http://169.254.169.254/}"
IMDS="${IMDS%/}"
TOKEN=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 600' "$IMDS/latest/api/token")
imds() { curl -sf -H "X-aws-ec2-metadata-token: $TOKEN" "$IMDS/$1"; }

# Lines 347-387: DescribeCluster only when the CA or the endpoint is missing; its answer overwrites the service
# CIDRs even when they were given.
if [[ -z "${B64_CLUSTER_CA}" ]] || [[ -z "${APISERVER_ENDPOINT}" ]]; then
  echo "describe-cluster $CLUSTER_NAME" >> "$record.describe-cluster"
  if [ -z "${LAB_EKS_CLUSTER:-}" ]; then
    log "Exhausted retries while describing cluster $CLUSTER_NAME"
    exit 255
  fi
  read -r APISERVER_ENDPOINT B64_CLUSTER_CA SERVICE_IPV4_CIDR <<< "$LAB_EKS_CLUSTER"
  SERVICE_IPV6_CIDR=""
fi

# Lines 402-406.
if [[ -z "${IP_FAMILY}" ]] || [[ "${IP_FAMILY}" == "None" ]]; then
  IP_FAMILY="ipv4"
fi

# Lines 455-488: the cluster DNS IP. Given: used as it is. IPv4 with a service CIDR: text surgery, everything
# after the CIDR's last dot replaced by "10" (`${SERVICE_IPV4_CIDR%.*}.10`). Neither: a guess from the VPC —
# 172.20.0.10 when any of the primary MAC's vpc-ipv4-cidr-blocks starts with "10.", else 10.100.0.10.
MAC=$(imds 'latest/meta-data/mac')
if [[ -z "${DNS_CLUSTER_IP}" ]]; then
  if [[ "${IP_FAMILY}" == "ipv6" ]]; then
    if [[ -z "${SERVICE_IPV6_CIDR}" ]]; then
      log "ERROR: One of --service-ipv6-cidr or --dns-cluster-ip must be provided when --ip-family is ipv6"
      exit 1
    fi
    DNS_CLUSTER_IP=$(awk -F/ '{print $1}' <<< "$SERVICE_IPV6_CIDR")a
  fi
  if [[ "${IP_FAMILY}" == "ipv4" ]]; then
    if [[ -n "${SERVICE_IPV4_CIDR}" ]] && [[ "${SERVICE_IPV4_CIDR}" != "None" ]]; then
      DNS_CLUSTER_IP=${SERVICE_IPV4_CIDR%.*}.10
    else
      TEN_RANGE=$(imds "latest/meta-data/network/interfaces/macs/$MAC/vpc-ipv4-cidr-blocks" | grep -c '^10\..*' || true)
      DNS_CLUSTER_IP=10.100.0.10
      if [[ "$TEN_RANGE" != "0" ]]; then
        DNS_CLUSTER_IP=172.20.0.10
      fi
    fi
  fi
fi

# Lines 509-532: max-pods from /etc/eks/eni-max-pods.txt (an unanchored awk match), written to the kubelet
# config only with --use-max-pods true. Nothing caps it.
INSTANCE_TYPE=$(imds 'latest/meta-data/instance-type')
MAX_PODS_FILE="$ROOT/etc/eks/eni-max-pods.txt"
MAX_PODS=""
[ -f "$MAX_PODS_FILE" ] && MAX_PODS=$(awk "/^${INSTANCE_TYPE:-unset}/"' { print $2 }' "$MAX_PODS_FILE")

clusterDNS=$(awk -v RS=',' 'NF { printf "%s\"%s\"", sep, $1; sep="," }' <<< "$DNS_CLUSTER_IP")
config="{\"clusterDNS\":[${clusterDNS}]"
if [[ "$USE_MAX_PODS" = "true" ]] && [[ -n "$MAX_PODS" ]]; then
  config="${config},\"maxPods\":${MAX_PODS}"
fi
mkdir -p "$ROOT/etc/kubernetes/kubelet"
echo "${config}}" > "$ROOT/etc/kubernetes/kubelet/kubelet-config.json"

# Lines 534 and 610-622: --node-ip is the IMDS local-ipv4, always; the extra args go into their own drop-in
# only when given, after KUBELET_ARGS on kubelet's command line.
INTERNAL_IP=$(imds 'latest/meta-data/local-ipv4')
KUBELET_ARGS="--node-ip=$INTERNAL_IP --v=2"
dropins="$ROOT/etc/systemd/system/kubelet.service.d"
mkdir -p "$dropins"
printf "[Service]\nEnvironment='KUBELET_ARGS=%s'\n" "$KUBELET_ARGS" > "$dropins/10-kubelet-args.conf"
if [[ -n "$KUBELET_EXTRA_ARGS" ]]; then
  printf "[Service]\nEnvironment='KUBELET_EXTRA_ARGS=%s'\n" "$KUBELET_EXTRA_ARGS" > "$dropins/30-kubelet-extra-args.conf"
fi
log "bootstrap of $CLUSTER_NAME done (clusterDNS $DNS_CLUSTER_IP)"
