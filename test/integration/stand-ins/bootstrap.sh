#!/bin/sh
# Stand-in for /etc/eks/bootstrap.sh in lab tests: records its arguments (one per line) and succeeds.
out="${STAND_IN_RECORD:-$(dirname "$0")/bootstrap.args}"
: > "$out"
for a in "$@"; do printf '%s\n' "$a" >> "$out"; done
exit "${STAND_IN_EXIT:-0}"
