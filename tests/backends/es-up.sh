#!/usr/bin/env bash
# Start a real Elasticsearch 2.4.1 for the test suite: the server bundled in
# the npm package elasticsearch-mock-js 1.0.6 (installed with `npm pack` into
# target/), run directly on the present Java (17) with a fresh data dir on a
# free 127.0.0.1 port. Prints (and writes to $W/es-env.sh) the
# ELASTICSEARCH_URL export. Idempotent: if ours is already running and ready,
# it only reprints the env.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"
mkdir -p "$BACKENDS_DIR"
W="$(cd "$BACKENDS_DIR" && pwd)"
PKG_DIR="$ROOT/target/elasticsearch-mock-js"
ES_HOME="$PKG_DIR/package/elasticsearch"
ES_JAR="$ES_HOME/lib/elasticsearch-2.4.1.jar"

if [ -f "$W/es-env.sh" ] && [ -f "$W/elasticsearch.pid" ]; then
    source "$W/es-env.sh"
    if ours "$(cat "$W/elasticsearch.pid")" "$W" && curl -sf "$ELASTICSEARCH_URL/_cluster/health" >/dev/null; then
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

read -r HTTP_PORT TCP_PORT < <(free_ports 19200 19300)

# Every start is a fresh cluster: no indices from earlier runs.
rm -rf "$W/es-data" "$W/es-logs"
mkdir -p "$W/es-data" "$W/es-logs"
# The bundled bin/elasticsearch asks for CMS/ParNew, which Java 17 no longer
# has, so the JVM is started here with the same class path and a serial GC.
# Zen discovery waits 3 s for peers by default; a single test node needs none.
spawn "$W/elasticsearch.log" "$W/elasticsearch.pid" \
    java -Xms128m -Xmx384m -XX:+UseSerialGC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Djna.nosys=true -Des.path.home="$ES_HOME" -cp "$ES_JAR:$ES_HOME/lib/*" \
    org.elasticsearch.bootstrap.Elasticsearch start -Des.insecure.allow.root=true \
    -Des.cluster.name=k8s-mcp-test -Des.node.name=k8s-mcp-es \
    -Des.path.data="$W/es-data" -Des.path.logs="$W/es-logs" \
    -Des.network.host=127.0.0.1 -Des.http.port="$HTTP_PORT" -Des.transport.tcp.port="$TCP_PORT" \
    -Des.discovery.zen.ping_timeout=200ms -Des.discovery.zen.ping.unicast.hosts=127.0.0.1:"$TCP_PORT"

URL="http://127.0.0.1:$HTTP_PORT"
wait_ready elasticsearch "$W" 120 "$HERE/es-down.sh" "$URL" "/_cluster/health?wait_for_status=green&timeout=1s"

cat >"$W/es-env.sh" <<ENV
export ELASTICSEARCH_URL=$URL
export ELASTICSEARCH_PID=$(cat "$W/elasticsearch.pid")
ENV
cat "$W/es-env.sh"
