#!/usr/bin/env bash
# Benchmarks: per-call overhead (raw wasmtime vs the runtime's invoke path)
# and tools/call throughput over streamable HTTP, in a release build.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-components.sh"
cargo bench --locked --bench invoke
