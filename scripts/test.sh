#!/usr/bin/env bash
# The test suite: installs what it needs, builds components and the runtime
# once, then runs the Rust tests and the end-to-end tests that drive the
# server with the Python MCP SDK.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build-components.sh"
cargo build --locked --bins
cargo test --locked --workspace
# The components' own unit tests run natively (their logic does not need a sandbox).
(cd "$ROOT/components" && cargo test --locked --workspace)
export K8S_MCP_RUNTIME_BIN="$ROOT/target/debug/k8s-mcp-runtime"
# Real-cluster tests are part of the suite; K8S_MCP_KUBE_TESTS=0 skips them locally.
export K8S_MCP_KUBE_TESTS="${K8S_MCP_KUBE_TESTS:-1}"
"$VENV/bin/pytest" -q tests/python "$@"
