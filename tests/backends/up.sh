#!/usr/bin/env bash
# Start a real Prometheus and Alertmanager for the test suite, on free
# 127.0.0.1 ports, with state under $K8S_MCP_BACKENDS_DIR. Prints (and writes
# to $W/env.sh) the PROMETHEUS_URL / ALERTMANAGER_URL exports. Idempotent:
# if both are already running and ready, it only reprints the env.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"
mkdir -p "$BACKENDS_DIR"
W="$(cd "$BACKENDS_DIR" && pwd)"

if [ -f "$W/env.sh" ] && [ -f "$W/prometheus.pid" ] && [ -f "$W/alertmanager.pid" ]; then
    source "$W/env.sh"
    if ours "$(cat "$W/prometheus.pid")" "$W" && ours "$(cat "$W/alertmanager.pid")" "$W" \
        && curl -sf "$PROMETHEUS_URL/-/ready" >/dev/null && curl -sf "$ALERTMANAGER_URL/-/ready" >/dev/null; then
        grep '^export' "$W/env.sh"
        exit 0
    fi
fi
"$HERE/down.sh" >/dev/null  # clear a half-running previous start

if ! command -v prometheus >/dev/null || ! command -v prometheus-alertmanager >/dev/null; then
    echo "==> installing prometheus and prometheus-alertmanager (Debian)" >&2
    # Without systemd, invoke-rc.d would start the packaged services on the
    # default ports; a policy-rc.d that denies every start prevents that.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
        as_root chmod +x /usr/sbin/policy-rc.d
        trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        prometheus prometheus-alertmanager >/dev/null
fi

# The documented non-default ports, or any free ones.
read -r PROM_PORT AM_PORT < <(free_ports 19090 19093)

cat > "$W/alertmanager.yml" <<'YAML'
route:
  receiver: default
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: team-x
      matchers: ['team="x"']
receivers:
  - name: default
  - name: team-x
YAML

cat > "$W/rules.yml" <<'YAML'
groups:
  - name: k8s-mcp-test
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        for: 0s
        labels:
          severity: warning
          team: x
        annotations:
          summary: Always-firing alert for the k8s-mcp-runtime tests
      - record: job:up:sum
        expr: sum by (job) (up)
YAML

cat > "$W/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  evaluation_interval: 2s
rule_files:
  - $W/rules.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["127.0.0.1:$AM_PORT"]
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:$PROM_PORT"]
  - job_name: alertmanager
    static_configs:
      - targets: ["127.0.0.1:$AM_PORT"]
YAML

# Every start is a fresh backend: no series, alerts or silences from earlier runs.
rm -rf "$W/alertmanager-data" "$W/prometheus-data"
spawn "$W/alertmanager.log" "$W/alertmanager.pid" prometheus-alertmanager --config.file="$W/alertmanager.yml" \
    --storage.path="$W/alertmanager-data" --web.listen-address="127.0.0.1:$AM_PORT" \
    --cluster.listen-address=
spawn "$W/prometheus.log" "$W/prometheus.pid" prometheus --config.file="$W/prometheus.yml" \
    --storage.tsdb.path="$W/prometheus-data" --web.listen-address="127.0.0.1:$PROM_PORT" --web.enable-admin-api \
    --rules.alert.resend-delay=2s

wait_ready alertmanager "$W" 60 "$HERE/down.sh" "http://127.0.0.1:$AM_PORT" /-/ready
wait_ready prometheus "$W" 60 "$HERE/down.sh" "http://127.0.0.1:$PROM_PORT" /-/ready

cat >"$W/env.sh" <<ENV
export PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT
export ALERTMANAGER_URL=http://127.0.0.1:$AM_PORT
export PROMETHEUS_PID=$(cat "$W/prometheus.pid")
export ALERTMANAGER_PID=$(cat "$W/alertmanager.pid")
ENV
cat "$W/env.sh"
