#!/usr/bin/env bash
# Stop the Elasticsearch started by es-up.sh, by its saved PID.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"
[ -d "$BACKENDS_DIR" ] || exit 0
W="$(cd "$BACKENDS_DIR" && pwd)"

stop_ours elasticsearch "$W/elasticsearch.pid" "$W"
rm -f "$W/es-env.sh"
