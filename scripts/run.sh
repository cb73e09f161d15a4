#!/usr/bin/env bash
# Build everything (first run installs the guest toolchain), then serve the
# components over stdio: `k8s-mcp-runtime serve --components ./components`.
# Extra arguments go to `serve` (e.g. --transport http).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh" >&2
"$ROOT/scripts/build-components.sh" >&2
cargo build --locked --release --bin k8s-mcp-runtime >&2
exec "$ROOT/target/release/k8s-mcp-runtime" serve --components ./components "$@"
