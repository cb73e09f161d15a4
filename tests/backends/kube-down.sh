#!/usr/bin/env bash
# Stop the Kubernetes control plane started by kube-up.sh, by the PIDs it saved
# in $KUBE_STATE/pids (never by name). State and logs stay for debugging; the
# next kube-up.sh wipes them. Exits 0 when nothing of ours is left running.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"
S="${KUBE_STATE:-$ROOT/target/kube/state}"
[ -d "$S/pids" ] || exit 0
S="$(cd "$S" && pwd)"

# Clients first, etcd last, so nothing logs errors about a vanished dependency.
for name in fake-kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do
    stop_ours "$name" "$S/pids/$name.pid" "$S" 5 || exit 1
done
rm -f "$S/env.sh" # a stale env would point tests at a dead cluster
