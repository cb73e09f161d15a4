#!/usr/bin/env bash
# Start a real Elasticsearch 2.4.1 for the test suite: the server bundled in
# the npm package elasticsearch-mock-js 1.0.6 (installed with `npm pack` into
# target/), run directly on the present Java (17) with a fresh data dir on a
# free 127.0.0.1 port. Prints (and writes to $W/es-env.sh) the
# ELASTICSEARCH_URL export. Idempotent: if ours is already running and ready,
# it only reprints the env.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/../../scripts/env.sh"
W="${K8S_MCP_BACKENDS_DIR:-$ROOT/target/backends}"
mkdir -p "$W"
W="$(cd "$W" && pwd)"
PKG_DIR="$ROOT/target/elasticsearch-mock-js"
ES_HOME="$PKG_DIR/package/elasticsearch"
ES_JAR="$ES_HOME/lib/elasticsearch-2.4.1.jar"

# A PID only counts if it is still our process (its command line names $W).
ours() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && grep -qaF -- "$W/" "/proc/$1/cmdline"; }

if [ -f "$W/es-env.sh" ] && [ -f "$W/elasticsearch.pid" ]; then
    source "$W/es-env.sh"
    if ours "$(cat "$W/elasticsearch.pid")" && curl -sf "$ELASTICSEARCH_URL/_cluster/health" >/dev/null; then
        grep '^export' "$W/es-env.sh"
        exit 0
    fi
fi
"$HERE/es-down.sh" >/dev/null # clear a half-running previous start

command -v java >/dev/null || { echo "java (17 or later) is needed for Elasticsearch 2.4.1" >&2; exit 1; }
if [ ! -f "$ES_JAR" ]; then
    echo "==> installing Elasticsearch 2.4.1 (npm elasticsearch-mock-js@1.0.6)" >&2
    mkdir -p "$PKG_DIR"
    (cd "$PKG_DIR" && npm pack --silent elasticsearch-mock-js@1.0.6 >/dev/null \
        && tar xzf elasticsearch-mock-js-1.0.6.tgz && rm -f elasticsearch-mock-js-1.0.6.tgz)
fi

read -r HTTP_PORT TCP_PORT < <(python3 - 19200 19300 <<'PY'
import socket, sys
held = []
for pref in map(int, sys.argv[1:]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", pref))
    except OSError:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
    held.append(s)
print(*(s.getsockname()[1] for s in held))
PY
)

# Every start is a fresh cluster: no indices from earlier runs.
rm -rf "$W/es-data" "$W/es-logs"
mkdir -p "$W/es-data" "$W/es-logs"
# The bundled bin/elasticsearch asks for CMS/ParNew, which Java 17 no longer
# has, so the JVM is started here with the same class path and a serial GC.
# Zen discovery waits 3 s for peers by default; a single test node needs none.
setsid nohup java -Xms128m -Xmx384m -XX:+UseSerialGC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Djna.nosys=true -Des.path.home="$ES_HOME" -cp "$ES_JAR:$ES_HOME/lib/*" \
    org.elasticsearch.bootstrap.Elasticsearch start -Des.insecure.allow.root=true \
    -Des.cluster.name=k8s-mcp-test -Des.node.name=k8s-mcp-es \
    -Des.path.data="$W/es-data" -Des.path.logs="$W/es-logs" \
    -Des.network.host=127.0.0.1 -Des.http.port="$HTTP_PORT" -Des.transport.tcp.port="$TCP_PORT" \
    -Des.discovery.zen.ping_timeout=200ms -Des.discovery.zen.ping.unicast.hosts=127.0.0.1:"$TCP_PORT" \
    </dev/null >"$W/elasticsearch.log" 2>&1 &
echo $! >"$W/elasticsearch.pid"

URL="http://127.0.0.1:$HTTP_PORT"
pid="$(cat "$W/elasticsearch.pid")"
deadline=$((SECONDS + 120))
until curl -sf "$URL/_cluster/health?wait_for_status=green&timeout=1s" >/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
        echo "elasticsearch did not become ready at $URL; last log lines:" >&2
        tail -n 30 "$W/elasticsearch.log" >&2
        "$HERE/es-down.sh" >&2
        exit 1
    fi
    sleep 0.2
done

cat >"$W/es-env.sh" <<ENV
export ELASTICSEARCH_URL=$URL
export ELASTICSEARCH_PID=$pid
ENV
cat "$W/es-env.sh"
