#!/usr/bin/env bash
# Stop the Prometheus and Alertmanager started by up.sh, by their saved PIDs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
W="${K8S_MCP_BACKENDS_DIR:-$ROOT/target/backends}"
[ -d "$W" ] || exit 0
W="$(cd "$W" && pwd)"

# kill -0 also succeeds for an unreaped zombie, which would never "exit".
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

for name in prometheus alertmanager; do
    f="$W/$name.pid"
    [ -f "$f" ] || continue
    pid="$(cat "$f")"
    # Skip a PID that exited and was reused by something else.
    if [ -n "$pid" ] && running "$pid" && grep -qaF -- "$W/" "/proc/$pid/cmdline"; then
        kill "$pid"
        deadline=$((SECONDS + 20))
        while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
        echo "stopped $name ($pid)"
    fi
    rm -f "$f"
done
rm -f "$W/env.sh"
