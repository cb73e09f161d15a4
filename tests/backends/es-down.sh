#!/usr/bin/env bash
# Stop the Elasticsearch started by es-up.sh, by its saved PID.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
W="${K8S_MCP_BACKENDS_DIR:-$ROOT/target/backends}"
[ -d "$W" ] || exit 0
W="$(cd "$W" && pwd)"

# kill -0 also succeeds for an unreaped zombie, which would never "exit".
running() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

f="$W/elasticsearch.pid"
if [ -f "$f" ]; then
    pid="$(cat "$f")"
    # Skip a PID that exited and was reused by something else.
    if [ -n "$pid" ] && running "$pid" && grep -qaF -- "$W/" "/proc/$pid/cmdline"; then
        kill "$pid"
        deadline=$((SECONDS + 20))
        while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
        if running "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
        echo "stopped elasticsearch ($pid)"
    fi
    rm -f "$f"
fi
rm -f "$W/es-env.sh"
