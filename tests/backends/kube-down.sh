#!/usr/bin/env bash
# Stop the Kubernetes control plane started by kube-up.sh, by the PIDs it saved
# in $KUBE_STATE/pids (never by name). State and logs stay for debugging; the
# next kube-up.sh wipes them. Exits 0 when nothing of ours is left running.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
S="${KUBE_STATE:-$ROOT/target/kube/state}"
[ -d "$S/pids" ] || exit 0
S="$(cd "$S" && pwd)"

# kill -0 also succeeds for an unreaped zombie, which would never "exit".
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

# Clients first, etcd last, so nothing logs errors about a vanished dependency.
for name in fake-kubelet kube-scheduler kube-controller-manager kube-apiserver etcd; do
    f="$S/pids/$name.pid"
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    # Skip a PID that exited and was reused by something else: ours name $S/.
    if [ -n "$pid" ] && running "$pid" && grep -qaF -- "$S/" "/proc/$pid/cmdline" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 20))
        while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if running "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
            deadline=$((SECONDS + 5))
            while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        fi
        if running "$pid"; then
            echo "could not stop $name ($pid)" >&2
            exit 1
        fi
        echo "stopped $name ($pid)"
    fi
    rm -f "$f"
done
rm -f "$S/env.sh" # a stale env would point tests at a dead cluster
