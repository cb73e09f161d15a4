#!/usr/bin/env bash
# Quick developer check of the cluster that kube-up.sh started: kubectl as
# admin creates a namespace and a deployment, its pods get scheduled onto the
# fake node and become Running (via the fake kubelet), `kubectl logs` answers,
# the dev user is Forbidden, scaling works both ways, and the namespace
# deletion completes. Every wait is bounded. Exits non-zero on any failure.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
S="${KUBE_STATE:-$ROOT/target/kube/state}"
[ -f "$S/env.sh" ] || { echo "no $S/env.sh: run tests/backends/kube-up.sh first" >&2; exit 1; }
# shellcheck disable=SC1091
source "$S/env.sh"

ns="kube-smoke-$$"
pass=0 fail=0
k() { timeout 30 "$KUBECTL" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
kdev() { timeout 30 "$KUBECTL" --kubeconfig "$KUBECONFIG_DEV" "$@"; }
check() { # name cmd... ; prints PASS/FAIL, never stops the script
    local name=$1 out
    shift
    if out="$("$@" 2>&1)"; then
        echo "PASS $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $(tail -n 5 <<<"$out")"
        fail=$((fail + 1))
    fi
}
poll() { # seconds cmd... ; retry until cmd succeeds or time is up (no fixed sleeps)
    local secs=$1
    # After a failure the later steps usually fail too: don't wait out every timeout.
    if ((fail > 0 && secs > 5)); then secs=5; fi
    local end=$((SECONDS + secs))
    shift
    until "$@"; do
        ((SECONDS < end)) || { echo "still failing after the timeout: $*"; return 1; }
        sleep 0.3
    done
}
# Nothing may be left behind if a check fails half-way.
trap 'k delete ns "$ns" --wait=false >/dev/null 2>&1 || true' EXIT

readyz() { [ "$(curl -sf --max-time 5 --cacert "$KUBE_CA_FILE" "$KUBE_API_URL/readyz")" = ok ]; }
node_ready() {
    [ "$(k get node "$KUBE_FAKE_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
running_on_node() { # want ; exactly `want` pods, all Running on the fake node
    local got
    got="$(k -n "$ns" get pods -o jsonpath='{range .items[*]}{.spec.nodeName}/{.status.phase}{"\n"}{end}')"
    [ "$(grep -c . <<<"$got")" -eq "$1" ] && [ "$(grep -cx "$KUBE_FAKE_NODE/Running" <<<"$got")" -eq "$1" ]
}
logs_answer() {
    k -n "$ns" logs deploy/web --tail=1 | grep -q "^fake-kubelet log line 3 from $ns/web-.*/nginx$"
}
dev_forbidden() { # must fail, and for the right reason
    local out
    if out="$(kdev -n "$ns" get pods 2>&1)"; then echo "dev could list pods: $out"; return 1; fi
    grep -q Forbidden <<<"$out" || { echo "$out"; return 1; }
}
dev_403() {
    [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$KUBE_CA_FILE" \
        -H "Authorization: Bearer $KUBE_DEV_TOKEN" "$KUBE_API_URL/api/v1/namespaces/$ns/pods")" = 403 ]
}
ns_gone() { ! k get ns "$ns" >/dev/null 2>&1; }

check "apiserver /readyz" poll 10 readyz
check "server is v1.20.2" poll 10 bash -c "'$KUBECTL' --kubeconfig '$KUBECONFIG_ADMIN' version -o json | grep -q '\"gitVersion\": \"v1.20.2\"'"
check "fake node Ready" poll 10 node_ready
check "create namespace" k create ns "$ns"
check "create deployment (2 replicas)" k -n "$ns" create deployment web --image=nginx:1.25 --replicas=2
check "pods scheduled and Running" poll 60 running_on_node 2
check "rollout status" k -n "$ns" rollout status deploy/web --timeout=25s
check "kubectl logs answers (fake kubelet)" poll 20 logs_answer
check "dev user Forbidden (kubectl)" dev_forbidden
check "dev user 403 (raw API)" dev_403
check "scale up to 4" k -n "$ns" scale deploy/web --replicas=4
check "4 pods Running" poll 60 running_on_node 4
check "scale down to 1" k -n "$ns" scale deploy/web --replicas=1
check "scaled-down pods deleted" poll 60 running_on_node 1
check "delete namespace" k delete ns "$ns" --wait=false
check "namespace deletion completes" poll 90 ns_gone
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
