#!/usr/bin/env bash
# Stop the Prometheus and Alertmanager started by up.sh, by their saved PIDs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"
[ -d "$BACKENDS_DIR" ] || exit 0
W="$(cd "$BACKENDS_DIR" && pwd)"

for name in prometheus alertmanager; do
    stop_ours "$name" "$W/$name.pid" "$W"
done
rm -f "$W/env.sh"
